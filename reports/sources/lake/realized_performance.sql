select * from read_parquet('report-data/realized_performance.parquet')
