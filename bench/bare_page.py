"""The render baseline for `make bench`: a bare Streamlit page holding one Plotly chart, nothing else."""

import plotly.graph_objects as go
import streamlit as st

# About the size of one trend chart: nine lines over twenty editions, rank 1 on top.
fig = go.Figure()
for line in range(9):
    fig.add_trace(go.Scatter(
        x=list(range(2005, 2025)),
        y=[(line * 7 + year * 3) % 30 + 1 for year in range(20)],
        mode="lines+markers",
        name=f"line {line + 1}",
    ))
fig.update_yaxes(autorange="reversed")
st.plotly_chart(fig, width="stretch")
