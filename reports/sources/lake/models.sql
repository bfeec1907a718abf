select * from read_parquet('report-data/models.parquet')
