select * from read_parquet('report-data/experiments.parquet')
