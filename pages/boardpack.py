"""Board pack: the month's slides as PowerPoint and PDF, with a preview of every slide's takeaway."""

import streamlit as st

from metrics import boardpack, roles
from metrics.charts import images
from ui import auth, shared

month = shared.month_or_stop("Board pack", "upload data on the Data page first.")

label = shared.month_label(month)
shared.page_header(f"Board pack · {label}", month)
st.write("A 16:9 deck for the board: title, scorecard, CHI trend, alignment heatmap, perception gap, collaboration "
         "against margin growth, meeting cadence, joint-project outcomes, the CMO's and the CIO's notes, the actions "
         "and their effect, and the metric definitions. Survey groups under the anonymity threshold stay hidden in "
         "the pack. The month is the one chosen in the sidebar.")

preview = shared.read(boardpack.slide_outline, month)
st.dataframe(preview, hide_index=True, width="stretch",
             column_config={"slide": st.column_config.NumberColumn("Slide", width="small"),
                            "title": st.column_config.TextColumn("Title", width="medium"),
                            "takeaway": st.column_config.TextColumn("Takeaway", width="large")})

missing = images.missing_message()
if missing:
    st.error("The pack cannot be built on this server: its charts are drawn by a browser, and the server has "
             f"none. {missing} The preview above needs no browser.")
if st.button("Build board pack", type="primary", key="boardpack_build", disabled=missing is not None):
    bar = st.progress(0.0, text="Starting")
    try:
        st.session_state["boardpack_files"] = boardpack.pack_files(
            shared.connection(), month, progress=lambda share, text: bar.progress(min(share, 1.0), text=text))
    except images.ImagesUnavailable as unavailable:
        st.error(f"The pack was not built: {unavailable}")
    finally:
        bar.empty()

files = st.session_state.get("boardpack_files")
if files and files["month"] == month:
    st.success(f"Board pack for {label} built in {files['seconds']:.1f} s.")
    left, right, _ = st.columns([1, 1, 2])
    # Handed over when clicked, to this session only and only while its user may still see the pages.
    left.download_button("Download PowerPoint (.pptx)", auth.guarded(roles.PAGES, lambda: files["pptx"], "the board pack"),
                         file_name=files["names"][0], on_click="ignore", icon=":material/download:",
                         mime="application/vnd.openxmlformats-officedocument.presentationml.presentation",
                         key="boardpack_pptx", type="primary")
    right.download_button("Download PDF", auth.guarded(roles.PAGES, lambda: files["pdf"], "the board pack"),
                          file_name=files["names"][1], mime="application/pdf", on_click="ignore",
                          icon=":material/download:", key="boardpack_pdf")
