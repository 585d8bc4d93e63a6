import solara


@solara.component
def SweepPage():
    solara.Text("sweep")
