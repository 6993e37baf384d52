"""Real-browser tests: streamlit run on a free port, driven by Debian's Chromium through Playwright."""
