# placeholder: the Streamlit explorer is built in issue 6
