/*
 * exscan built-in webshell rules: ASP.NET webshell families and the
 * behaviour they share, written from what the code has to do to work
 * (run commands, load or compile code sent by the client, tunnel sockets,
 * act as a file manager or database console) rather than from one
 * sample's bytes or name.  Each rule has meta score, family, description
 * and reference.  Strings are matched in ASCII and in UTF-16LE ("wide").
 *
 * Cost: a page can be padded with millions of copies of any atom.  So no
 * bounded gap ([^>]{0,80}) may run over the next copy of what starts it
 * (the gap's class excludes that character: <script[^<>]{0,80}), which keeps
 * each byte scanned by a bounded number of verifications; check with
 * bench/walk/padding.py --pad all (issue 12).  That holds only when YARA's
 * atom is at the start: after "<%" the words are spelled in character
 * classes rather than with nocase, which YARA would pick as the atom and
 * verify backwards over the whole gap for every copy of the word.
 */

private rule exs_server_code
{
	meta:
		description = "the file holds ASP.NET/ASP server-side code"
	strings:
		$d1 = "<%@" ascii wide
		$d2 = /<script[^<>]{0,80}runat\s*=\s*["']?server/ nocase ascii wide
		$d3 = "<%" ascii wide
		$d4 = "WebHandler" ascii wide
		$d5 = "IHttpHandler" ascii wide
		$d6 = "System.Web" ascii wide
		$d7 = "msxsl:script" nocase ascii wide
	condition:
		// not an executable (MZ, ELF) unless named as a page: a .NET
		// assembly names System.Web, ProcessStartInfo and PowerShell as a
		// shell's source does, and Exchange's own DLLs would be command
		// shells (compiled pages are exchange.yar's App_Web rules); a page
		// dressed in an MZ header still runs, by its name
		(not (uint16(0) == 0x5a4d or uint32(0) == 0x464c457f) or
		 extension matches /^\.(aspx|ashx|asmx|ascx|asax|master|svc|asp)$/) and
		any of them
}

private rule exs_request_data
{
	meta:
		description = "reads data the client sends"
	strings:
		$r1 = /Request\s*(\.Item|\.Form|\.QueryString|\.Params|\.Headers|\.Cookies)?\s*[\[\(]\s*["'@\w]/ nocase ascii wide
		$r2 = "Request.BinaryRead" nocase ascii wide
		$r3 = "Request.InputStream" nocase ascii wide
		$r4 = "Request.Files" nocase ascii wide
		$r5 = "Request.Form" nocase ascii wide
		$r6 = "Request.QueryString" nocase ascii wide
		$r7 = "Context.Request" nocase ascii wide
		$r8 = "Request.Item" nocase ascii wide
		$r9 = ".Request;" nocase ascii wide
	condition:
		any of them
}

rule exs_chopper_eval_request
{
	meta:
		score = 95
		family = "China Chopper"
		description = "evaluates script text taken from the request (China Chopper / AntSword one-liner)"
		reference = "field notes 5; FireEye China Chopper analysis 2013"
	strings:
		// no string here may cost more than a few steps per `eval(` that does
		// not match: a page padded with millions of them must scan in seconds
		// (bench/walk/padding.py); bounded gaps such as [^;]{0,120} after a
		// short atom cost that at every repeat of the atom
		$e1 = /eval\s*\(\s*(System\.Text\.Encoding\.\w+\.GetString\s*\(\s*)?(System\.Convert\.FromBase64String\s*\(\s*)?(HttpContext\.Current\.|Context\.|this\.)?Request\s*(\.\s*(Item|Form|QueryString|Params))?\s*[\[\(]/ nocase ascii wide
		// JScript.NET's eval(code, "unsafe"): full trust for code of the
		// request (anchored on the rare "unsafe", with no gap to scan)
		$e2 = /,\s*["']unsafe["']\s*\)/ nocase ascii wide
		$ev = /\beval\s*\(/ nocase ascii wide
		// VBScript's Execute(Request(..)) or Execute Request(..): a method
		// named ExecuteRequest( is not one (C#, Pascal and JS have them)
		$e3 = /Execute(Global)?(\s*\(\s*|\s+)Request\s*(\.Item|\.Form|\.QueryString)?\s*[\[\(]/ nocase ascii wide
		$e5 = /eval\s*\(\s*System\.Text\.Encoding\./ nocase ascii wide
		$e6 = /JScriptEvaluate\s*\([^;\nJ]{0,120}Request/ ascii wide
		$e7 = /ParseControl\s*\(\s*(this\.|Context\.|HttpContext\.Current\.)?Request/ ascii wide
	condition:
		any of ($e1, $e5, $e6, $e7) or ($e3 and exs_server_code) or
		($e2 and $ev and exs_request_data)
}

rule exs_chopper_csharp_upload
{
	meta:
		score = 85
		family = "China Chopper"
		description = "small page that saves an uploaded file where the request says (China Chopper C# variant)"
		reference = "field notes 5"
	strings:
		$s1 = /Request\.Files\s*\[\s*0\s*\]\s*\.SaveAs\s*\(/ nocase ascii wide
		$s2 = /PostedFile\.SaveAs\s*\(\s*(Server\.MapPath\s*\()?\s*Request/ nocase ascii wide
		$s3 = /File\.WriteAll(Text|Bytes)\s*\(\s*(Server\.MapPath\s*\()?\s*Request/ nocase ascii wide
		$s4 = /StreamWriter\s*\(\s*(Server\.MapPath\s*\()?\s*Request/ nocase ascii wide
	condition:
		exs_server_code and filesize < 64KB and any of them
}

rule exs_command_execution
{
	meta:
		score = 85
		family = "generic command shell"
		description = "server page that runs operating-system commands chosen by the client"
		reference = "field notes 5: Process.Start of request data"
	strings:
		$x1 = "ProcessStartInfo" nocase ascii wide
		$x2 = /Process\s*\.\s*Start\s*\(/ nocase ascii wide
		$x3 = "WScript.Shell" nocase ascii wide
		$x4 = "Shell.Application" nocase ascii wide
		$x5 = /new\s+(System\.Diagnostics\.)?Process\s*\(\s*\)/ nocase ascii wide
		$x6 = "WinExec" ascii wide
		$c1 = "cmd.exe" nocase ascii wide
		// "/c" alone would be YARA's atom: two bytes, found every few KB of
		// any binary and in URL paths (/calendar); with the quote (and one
		// space) spelled out the atoms are longer, and the walk reads large
		// files only around atoms (src/walk/prefilter.c)
		$c2 = /"\/c\s/ nocase ascii wide
		$c9 = /'\/c\s/ nocase ascii wide
		$c10 = /" \/c\s/ nocase ascii wide
		$c11 = /' \/c\s/ nocase ascii wide
		$c3 = "RedirectStandardOutput" nocase ascii wide
		$c4 = "StandardOutput.ReadToEnd" nocase ascii wide
		$c5 = "powershell" nocase ascii wide
		$c6 = /\.Exec\s*\(/ nocase ascii wide
		$c7 = "StdOut.ReadAll" nocase ascii wide
		$c8 = "cmd /c" nocase ascii wide
	condition:
		exs_server_code and any of ($x*) and any of ($c*)
}

rule exs_xslt_script_shell
{
	meta:
		score = 90
		family = "XSLT script shell"
		description = "XSLT msxsl:script block that runs commands or reads the request (code hidden in a stylesheet)"
		reference = "field notes 5 (generic eval/Process.Start of request data)"
	strings:
		$m = "msxsl:script" nocase ascii wide
		$t = "XslCompiledTransform" nocase ascii wide
		$t2 = "XslTransform" nocase ascii wide
		$a1 = "ActiveXObject" nocase ascii wide
		$a2 = "Process" ascii wide
		$a3 = "Request" ascii wide
		$a4 = "eval(" ascii wide
	condition:
		$m and any of ($t*) and any of ($a*)
}

rule exs_sql_command_shell
{
	meta:
		score = 85
		family = "generic command shell"
		description = "server page that calls xp_cmdshell or OLE automation through SQL Server"
		reference = "field notes 5"
	strings:
		$s1 = "xp_cmdshell" nocase ascii wide
		$s2 = "sp_oacreate" nocase ascii wide
		$s3 = "xp_regwrite" nocase ascii wide
	condition:
		exs_server_code and any of them
}

rule exs_inmemory_assembly_loader
{
	meta:
		score = 95
		family = "in-memory .NET loader"
		description = "decodes or decrypts request data and loads it as a .NET assembly (Behinder, Godzilla and kin)"
		reference = "field notes 5: Assembly.Load of request data"
	strings:
		$l1 = /Assembly\s*\.\s*Load\s*\(/ ascii wide
		$l2 = /GetMethod\s*\(\s*"Load"/ ascii wide
		$l3 = "System.Reflection.Assembly" ascii wide
		$l4 = /\.CreateInstance\s*\(\s*"/ ascii wide
		$d1 = "CreateDecryptor" ascii wide
		$d2 = "TransformFinalBlock" ascii wide
		$d3 = "FromBase64String" ascii wide
		$d4 = "RijndaelManaged" ascii wide
	condition:
		exs_server_code and exs_request_data and ($l1 or 2 of ($l*)) and any of ($d*)
}

rule exs_behinder
{
	meta:
		score = 100
		family = "Behinder"
		description = "Behinder (Ice Scorpion) AES loader: session key, BinaryRead, Assembly.Load"
		reference = "field notes 5; default key md5('rebeyond')[:16]"
	strings:
		$k1 = /Session\.Add\(\s*"k"\s*,\s*"[0-9a-f]{16}"\s*\)/ ascii wide
		$k2 = "e45e329feb5d925b" ascii wide
		$b1 = "Request.BinaryRead" ascii wide
		$b2 = "RijndaelManaged" ascii wide
		$b3 = /Assembly\s*\.\s*Load/ ascii wide
		$b4 = /CreateInstance\s*\(\s*"U"\s*\)/ ascii wide
	condition:
		exs_server_code and (any of ($k*) and 2 of ($b*) or 4 of ($b*))
}

rule exs_godzilla
{
	meta:
		score = 100
		family = "Godzilla"
		description = "Godzilla loader: AES-decrypted request kept as Session[\"payload\"] and instantiated as LY"
		reference = "field notes 5"
	strings:
		$g1 = /CreateInstance\s*\(\s*"LY"\s*\)/ ascii wide
		$g2 = /Session\s*\[\s*"payload"\s*\]/ ascii wide
		$c1 = "TransformFinalBlock" ascii wide
		$c2 = "FromBase64String" ascii wide
		$c3 = "MD5CryptoServiceProvider" ascii wide
		$c4 = /GetMethod\s*\(\s*"Load"/ ascii wide
		$c5 = /Assembly\s*\.\s*Load/ ascii wide
	condition:
		exs_server_code and (all of ($g*) or (any of ($g*) and 2 of ($c*)))
}

rule exs_sharpyshell
{
	meta:
		score = 95
		family = "SharPyShell"
		description = "compiles C# sent in the request at run time, in memory (SharPyShell and kin)"
		reference = "field notes 5"
	strings:
		$c1 = "CompileAssemblyFromSource" ascii wide
		$c2 = "CSharpCodeProvider" ascii wide
		$c3 = "GenerateInMemory" ascii wide
		$c4 = "CodeDomProvider" ascii wide
		$c5 = "CompilerParameters" ascii wide
	condition:
		exs_server_code and exs_request_data and 2 of them
}

rule exs_regeorg_tunnel
{
	meta:
		score = 90
		family = "reGeorg"
		description = "HTTP-to-socket tunnel: opens sockets for the client and relays the request body (reGeorg, Neo-reGeorg)"
		reference = "field notes 5"
	strings:
		$s1 = "System.Net.Sockets" ascii wide
		$s2 = /new\s+Socket\s*\(/ ascii wide
		$s3 = "TcpClient" ascii wide
		$i1 = "Request.InputStream" ascii wide
		$i2 = "Request.BinaryRead" ascii wide
		$h1 = "Response.AddHeader" ascii wide
		$h2 = "Response.Headers.Add" ascii wide
		$v1 = "X-CMD" ascii wide
		$v2 = "X-STATUS" ascii wide
		$v3 = "X-TARGET" ascii wide
		$v4 = "DISCONNECT" ascii wide
		$v5 = "FORWARD" ascii wide
		$v6 = /\.Connect\s*\(/ ascii wide
	condition:
		exs_server_code and any of ($s*) and any of ($i*) and any of ($h*) and 2 of ($v*)
}

rule exs_socket_tunnel
{
	meta:
		score = 80
		family = "socket tunnel"
		description = "page that connects sockets where the request says and relays bytes between them and the HTTP body (Neo-reGeorg, Tunna, suo5 style)"
		reference = "field notes 5: socket APIs + Request.InputStream"
	strings:
		$s1 = "System.Net.Sockets" ascii wide
		$s2 = /new\s+Socket\s*\(/ ascii wide
		$s3 = "TcpClient" ascii wide
		$c = /\.Connect\s*\(/ ascii wide
		$o1 = "Response.BinaryWrite" ascii wide
		$o2 = "Response.OutputStream" ascii wide
		$o3 = "Response.AddHeader" ascii wide
		$o4 = /(Application|Session)\s*\[[^\[\]]{1,40}\]\s*=\s*\w*[Ss]ock/ ascii wide
	condition:
		exs_server_code and exs_request_data and any of ($s*) and $c and any of ($o*)
}

rule exs_shellcode_runner
{
	meta:
		score = 95
		family = "shellcode loader"
		description = "server page that allocates executable memory and starts a thread in it (Metasploit-style aspx payloads)"
		reference = "field notes 5 (generic in-memory execution)"
	strings:
		$a1 = "VirtualAlloc" ascii wide
		$t1 = "CreateThread" ascii wide
		$t2 = "CreateRemoteThread" ascii wide
		$t3 = "QueueUserAPC" ascii wide
		$i = "DllImport" ascii wide
	condition:
		exs_server_code and $a1 and any of ($t*) and $i
}

rule exs_aspxspy
{
	meta:
		score = 95
		family = "ASPXSpy"
		description = "ASPXSpy file manager / command shell"
		reference = "field notes 5: large file managers with distinctive UI strings"
	strings:
		$n1 = "ASPXSpy" nocase ascii wide
		$n2 = "Bin_Button_" ascii wide
		$n3 = "Bin_List_" ascii wide
		$n4 = "Bin_Action" ascii wide
	condition:
		exs_server_code and any of them
}

rule exs_multi_function_shell
{
	meta:
		score = 85
		family = "file manager shell"
		description = "page combining at least four webshell capabilities: file manager, command execution, database, upload, registry, sockets, file tampering"
		reference = "field notes 5: large file managers"
	strings:
		$fs = /GetLogicalDrives|DriveInfo|GetDirectories\s*\(|DirectoryInfo/ nocase ascii wide
		$ex = /ProcessStartInfo|WScript\.Shell|cmd\.exe/ nocase ascii wide
		$db = /SqlConnection|OleDbConnection|xp_cmdshell/ nocase ascii wide
		$up = /\.SaveAs\s*\(|PostedFile/ ascii wide
		$rg = /RegistryKey|Registry\.LocalMachine/ ascii wide
		$nt = /TcpClient|System\.Net\.Sockets/ ascii wide
		$dl = /(File|Directory)\.(Delete|Move)\s*\(|Response\.WriteFile|File\.Set(Attributes|LastWriteTime|CreationTime)/ ascii wide
	condition:
		exs_server_code and exs_request_data and 4 of them
}

rule exs_timestomp
{
	meta:
		score = 80
		family = "file manager shell"
		description = "server page that back-dates file times (a webshell hiding its files)"
		reference = "field notes 5"
	strings:
		$t1 = /File\.Set(LastWrite|Creation|LastAccess)Time(Utc)?\s*\(/ ascii wide
		$t2 = /\.(LastWriteTime|CreationTime)\s*=\s*(File|Directory)\.Get/ ascii wide
	condition:
		exs_server_code and exs_request_data and any of them
}

rule exs_request_path_file_access
{
	meta:
		score = 70
		family = "file manager shell"
		description = "small page that reads, writes, lists or deletes files at a path taken from the request"
		reference = "field notes 5"
	strings:
		$f1 = /Response\.WriteFile\s*\(\s*(Server\.MapPath\s*\()?\s*Request/ nocase ascii wide
		$f2 = /(File\.Delete|Directory\.Delete|File\.ReadAll(Text|Bytes)|File\.Open(Read|Write)?|new\s+DirectoryInfo|Directory\.GetFiles)\s*\(\s*Request/ nocase ascii wide
		$f3 = /Request\s*(\.Params|\.QueryString|\.Form)?\s*\[\s*"(file|path|dir|directory|folder)"\s*\]/ nocase ascii wide
		$s1 = "Response.WriteFile" ascii wide
		$s2 = "DirectoryInfo" ascii wide
		$s3 = "Request.Files" ascii wide
		$s4 = "File.Delete" ascii wide
		$s5 = ".SaveAs(" ascii wide
	condition:
		exs_server_code and filesize < 64KB and (any of ($f1, $f2) or ($f3 and 2 of ($s*)))
}

rule exs_sql_console
{
	meta:
		score = 70
		family = "database console"
		description = "page that connects to a database named by the visitor or runs SQL typed into it"
		reference = "field notes 5 (ASPXSpy-style database consoles)"
	strings:
		$q1 = /new\s+(System\.Data\.SqlClient\.)?Sql(Command|DataAdapter)\s*\(\s*\w+\.Text\s*,/ nocase ascii wide
		$q2 = /new\s+(System\.Data\.(SqlClient|OleDb)\.)?(Sql|OleDb)Connection\s*\(\s*\w+\.Text\s*\)/ nocase ascii wide
		$q3 = /(server|data source)\s*=\s*"\s*\+\s*\w+/ nocase ascii wide
		$q4 = /ConnectionString\s*=\s*\w+\.Text/ nocase ascii wide
		$q5 = "sp_sproc_columns" nocase ascii wide
		$q6 = /(password|pwd)\s*=\s*"\s*\+\s*\w+/ nocase ascii wide
	condition:
		exs_server_code and (any of ($q1, $q2, $q4, $q5) or ($q3 and $q6))
}

rule exs_config_script
{
	meta:
		score = 90
		family = "web.config shell"
		description = "web.config that maps .config to a script engine or carries server-side script"
		reference = "field notes 3 (web.config must never execute)"
	strings:
		$c = "<configuration" nocase ascii wide
		$m1 = /path\s*=\s*"\*\.config"[^>]{0,200}(asp\.dll|scriptProcessor)/ nocase ascii wide
		$m2 = /<%[^%]{0,400}([Rr][Ee][Ss][Pp][Oo][Nn][Ss][Ee]\.[Ww][Rr][Ii][Tt][Ee]|[Ee][Vv][Aa][Ll]|[Ee][Xx][Ee][Cc][Uu][Tt][Ee]|[Cc][Rr][Ee][Aa][Tt][Ee][Oo][Bb][Jj][Ee][Cc][Tt])/ ascii wide
	condition:
		$c and any of ($m*)
}

rule exs_image_headed_page
{
	meta:
		score = 85
		family = "China Chopper"
		description = "file that starts as an image (GIF/PNG/JPEG header) but carries server-side code"
		reference = "field notes 5: GIF89a-prefixed shells"
	strings:
		$s1 = /<script[^<>]{0,80}runat\s*=\s*["']?server/ nocase
		$s2 = /<%@\s*Page/ nocase
		$s3 = /<%[^%]{0,200}[Rr][Ee][Qq][Uu][Ee][Ss][Tt]/
	condition:
		(uint32(0) == 0x38464947 or uint32(0) == 0x474e5089 or (uint16(0) == 0xd8ff and uint8(2) == 0xff))
		and any of them
}

rule exs_jscript_eval_page
{
	meta:
		score = 90
		family = "China Chopper"
		description = "JScript.NET page that calls eval (Chopper-style shells, often obfuscated)"
		reference = "field notes 5: Page Language=\"Jscript\" + eval"
	strings:
		$p = /<%@\s*(Page|WebHandler|WebService|Control)[^<>]{0,200}Language\s*=\s*["']?\s*(JScript|js)\b/ nocase ascii wide
		$p2 = /<script[^<>]{0,100}language\s*=\s*["']?\s*(jscript|js)\b[^<>]{0,100}runat\s*=\s*["']?server/ nocase ascii wide
		$p3 = /<script[^<>]{0,100}runat\s*=\s*["']?server[^<>]{0,100}language\s*=\s*["']?\s*(jscript|js)\b/ nocase ascii wide
		$e = /\beval\s*\(/ nocase ascii wide
		$u = /["']unsafe["']/ nocase ascii wide
		$u2 = /"u"\s*\+\s*"n"/ nocase ascii wide
	condition:
		any of ($p*) and ($e or any of ($u*))
}

rule exs_control_path_file_write
{
	meta:
		score = 70
		family = "file manager shell"
		description = "server page that writes, creates or deletes files at a path typed into the page"
		reference = "field notes 5"
	strings:
		$w1 = /(StreamWriter|FileStream|File\.(Create|Delete|WriteAllText|WriteAllBytes|AppendAllText|Copy|Move)|Directory\.(Delete|Move))\s*\(\s*(Server\.MapPath\s*\()?\s*(this\.)?\w+\.Text\s*[,)+]/ nocase ascii wide
		$w2 = /(StreamWriter|FileStream)\s*\(\s*(Request\.PhysicalPath|Path\.Combine\s*\([^;\nC]{0,80}Request)/ nocase ascii wide
		$u1 = "PostedFile.InputStream" ascii wide
		$u2 = "Request.Files" ascii wide
		$u3 = /new\s+(System\.IO\.)?FileStream\s*\(/ ascii wide
		$p = /Request\.(PhysicalPath|Params\s*\[)/ ascii wide
	condition:
		exs_server_code and (any of ($w*) or (all of ($u*) and $p and filesize < 32KB))
}

rule exs_system_recon_page
{
	meta:
		score = 75
		family = "recon shell"
		description = "page that loads several system-administration APIs (services, WMI, directory, registry hives, interop, sockets)"
		reference = "field notes 5"
	strings:
		$n1 = /(Import\s+Namespace|Assembly\s+Name)\s*=\s*"System\.Management\b/ nocase ascii wide
		$n2 = /(Import\s+Namespace|Assembly\s+Name)\s*=\s*"System\.ServiceProcess\b/ nocase ascii wide
		$n3 = /(Import\s+Namespace|Assembly\s+Name)\s*=\s*"System\.DirectoryServices\b/ nocase ascii wide
		$n4 = /Import\s+Namespace\s*=\s*"Microsoft\.Win32"/ nocase ascii wide
		$n5 = /Import\s+Namespace\s*=\s*"System\.Diagnostics"/ nocase ascii wide
		$n6 = /Import\s+Namespace\s*=\s*"System\.Runtime\.InteropServices"/ nocase ascii wide
		$n7 = /Import\s+Namespace\s*=\s*"System\.Net\.Sockets"/ nocase ascii wide
		$h1 = "Registry.LocalMachine" ascii wide
		$h2 = "Registry.Users" ascii wide
		$h3 = "Registry.ClassesRoot" ascii wide
		$h4 = "Registry.CurrentUser" ascii wide
	condition:
		3 of ($n*) or (exs_server_code and 3 of ($h*))
}

rule exs_writable_dir_probe
{
	meta:
		score = 70
		family = "recon shell"
		description = "server page that walks directories creating and deleting a test file (looks for writable places)"
		reference = "field notes 5"
	strings:
		$d1 = "GetDirectories" ascii wide
		$d2 = "DirectoryInfo" ascii wide
		$c = /File\.Create\s*\(/ ascii wide
		$x = /File\.Delete\s*\(/ ascii wide
	condition:
		exs_server_code and filesize < 64KB and any of ($d*) and $c and $x
}

rule exs_packet_sniffer_page
{
	meta:
		score = 85
		family = "sniffer shell"
		description = "server page that opens a raw socket in promiscuous mode (packet sniffer)"
		reference = "field notes 5"
	strings:
		$r1 = "SocketType.Raw" ascii wide
		$r2 = "IOControlCode.ReceiveAll" ascii wide
		$r3 = "ProtocolType.IP" ascii wide
		$r4 = /\.IOControl\s*\(/ ascii wide
	condition:
		exs_server_code and 2 of them
}

rule exs_powershell_runspace
{
	meta:
		score = 85
		family = "generic command shell"
		description = "server page that runs PowerShell scripts through a runspace (Antak and kin)"
		reference = "field notes 5: command execution from request data"
	strings:
		$r1 = "RunspaceFactory" ascii wide
		$r2 = /PowerShell\s*\.\s*Create\s*\(/ ascii wide
		$r3 = "System.Management.Automation" ascii wide
		$a1 = /\.AddScript\s*\(/ ascii wide
		$a2 = /\.AddCommand\s*\(/ ascii wide
		$a3 = "CreatePipeline" ascii wide
	condition:
		exs_server_code and any of ($r*) and any of ($a*)
}

rule exs_inline_uploader
{
	meta:
		score = 60
		family = "uploader"
		description = "small self-contained page (no code-behind) whose code saves uploaded files"
		reference = "field notes 5: China Chopper C# variants write Request.Files to disk"
	strings:
		$inline1 = /<script[^<>]{0,80}runat\s*=\s*["']?server/ nocase ascii wide
		$inline2 = /<%[^@=#:$-]/ ascii wide
		$save = /\.SaveAs\s*\(/ ascii wide
		$name = ".FileName" ascii wide
		$cb1 = /(Inherits|CodeBehind|CodeFile)\s*=/ nocase ascii wide
	condition:
		filesize < 12KB and any of ($inline*) and $save and $name and not $cb1
}
