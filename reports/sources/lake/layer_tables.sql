select * from read_parquet('report-data/layer_tables.parquet')
