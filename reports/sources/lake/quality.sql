select * from read_parquet('report-data/quality.parquet')
