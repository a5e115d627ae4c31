"""Views of the complaint centre, by surface: pages (registration, queues, the case page),
actions (the forms of every lifecycle step) and attachments (upload and download)."""
