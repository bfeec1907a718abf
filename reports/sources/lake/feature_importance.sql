select * from read_parquet('report-data/feature_importance.parquet')
