"""The latency baseline: a bare Streamlit page with one slider and one Plotly contour."""

import numpy as np
import plotly.graph_objects as go
import streamlit as st

a = st.slider("curvature", 0.1, 10.0, 1.0, 0.1, key="a")
xs = np.linspace(-2, 2, 120)
x, y = np.meshgrid(xs, xs)
st.plotly_chart(go.Figure(go.Contour(x=xs, y=xs, z=x**2 + a * y**2, showscale=False)), key="map")
