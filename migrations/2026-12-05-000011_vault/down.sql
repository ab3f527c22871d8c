DROP INDEX vault_files_owner;
DROP TABLE vault_files;
