"""Import and export of the base data (buildings, houses, occupancies, organisations, facilities) as CSV,
XLSX or GeoJSON.

- `columns`: what each kind's file holds, the headers and words Chinese spreadsheets use, the header check;
- `reading`: a file of any of the three formats read into numbered rows of named values;
- `bulk`: buildings and houses, checked in Python and written with multi-row INSERTs (100,000 houses);
- `rowwise`: occupancies, organisations and facilities, each row written by its service in a savepoint;
- `importing`: `base_data_import`, the one entry the command, the task and the tests call;
- `exporting`: `base_data_export`, the same columns written back in each format;
- `jobs`: a browser upload run as a BaseDataImportJob by a Celery task, with progress.

Every row is checked and every bad row named (row, column, why); one bad row means nothing is written.
"""
