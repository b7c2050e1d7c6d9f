"""数据管理: template, upload with validation and change preview, publish, snapshot list and comparison."""

from perfeval_dash.ui import admin_page, followup, frame

ctx = frame.page_context()
admin_page.render(ctx.store, ctx.user)
followup.update_section(ctx)  # editors: update follow-up progress and publish it as a new snapshot
