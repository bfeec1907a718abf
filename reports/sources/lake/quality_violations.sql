select * from read_parquet('report-data/quality_violations.parquet')
