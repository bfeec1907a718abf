select * from read_parquet('report-data/confusion.parquet')
