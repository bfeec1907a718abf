select * from read_parquet('report-data/drift.parquet')
