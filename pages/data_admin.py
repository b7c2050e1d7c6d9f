"""数据管理: template, upload with validation and change preview, publish, snapshot list and comparison."""

from perfeval_dash.ui import admin_page, frame

ctx = frame.page_context()
admin_page.render(ctx.store, ctx.user)
