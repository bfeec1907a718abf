select * from read_parquet('report-data/customers.parquet')
