select * from read_parquet('report-data/stages.parquet')
