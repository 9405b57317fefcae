"""The floor of `make bench` section M: the emptiest Streamlit page, one line of text and no chart. What N
sessions of it cost on this machine (each a Chromium context running Streamlit's own front end) is what any page
of any Streamlit app costs at least, whatever the app does."""

import streamlit as st

st.write("empty page")
