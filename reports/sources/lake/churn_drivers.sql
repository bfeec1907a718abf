select * from read_parquet('report-data/churn_drivers.parquet')
