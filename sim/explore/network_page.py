import solara


@solara.component
def NetworkPage():
    solara.Text("network")
