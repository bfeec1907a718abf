select * from read_parquet('report-data/runs.parquet')
