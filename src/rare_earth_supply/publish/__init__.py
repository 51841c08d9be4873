"""What people read: terminal and Markdown rendering, generated docs, charts, reports."""
