select * from read_parquet('report-data/faults.parquet')
