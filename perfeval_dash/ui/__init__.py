"""The UI room: the Streamlit frame, widgets, URL state, charts, labels, formatting, exports, the data-admin page."""
