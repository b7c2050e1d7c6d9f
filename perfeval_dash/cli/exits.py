"""Exit codes of every command, declared once (also shown in the commands' help)."""

# 0 ok; 1 data errors (nothing published); 2 unreadable file, or a refused store operation (no such snapshot,
# nothing published yet); 3 storage error: writing to the data folder failed (disk full, no write permission, …)
# and the data folder was left as it was.
EXIT_OK, EXIT_ERRORS, EXIT_REFUSED, EXIT_STORAGE = 0, 1, 2, 3
EXIT_CODES_HELP = """退出码：
  0 成功
  1 数据有错误，未发布
  2 文件无法读取，或操作被拒绝（如快照不存在）
  3 存储错误（磁盘空间不足、没有写入权限等）：未发布也未切换，当前快照和已有快照保持不变"""
