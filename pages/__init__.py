"""The dashboard's pages: UI only: widgets in, calls to metrics/, st.* out."""
