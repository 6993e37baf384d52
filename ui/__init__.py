"""The Streamlit side shared by the pages: who is signed in and what they may do (auth), the cached store, reads,
filters and page furniture (shared), and the server's own guards (server). Kept out of pages/ so that nothing but
pages lives there: Streamlit's old folder mode would run any file in pages/ as a page, unguarded."""
