#!/usr/bin/env python3
"""Writes benchmark logs: one IIS W3C log of IIS_MB megabytes and HttpProxy
logs totalling HP_MB megabytes (in 256 MB files), with realistic benign
traffic and a few attack lines spread through them.

usage: gen.py OUTDIR IIS_MB HP_MB
"""
import os
import random
import sys

out, iis_mb, hp_mb = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
rnd = random.Random(5)

IIS_DIR = os.path.join(out, "drive/inetpub/logs/LogFiles/W3SVC1")
HP_DIR = os.path.join(out, "drive/Program Files/Microsoft/Exchange Server/V15/Logging/HttpProxy/Owa")
os.makedirs(IIS_DIR, exist_ok=True)
os.makedirs(HP_DIR, exist_ok=True)

STEMS = ["/owa/", "/owa/service.svc", "/EWS/Exchange.asmx", "/mapi/emsmdb/", "/mapi/nspi/",
         "/Microsoft-Server-ActiveSync/default.eas", "/autodiscover/autodiscover.xml",
         "/ecp/DDI/DDIService.svc/GetList", "/owa/auth/logon.aspx", "/rpc/rpcproxy.dll",
         "/owa/auth/15.1.2176/themes/resources/favicon.ico", "/oab/1234/oab.xml"]
UAS = ["Mozilla/5.0+(Windows+NT+10.0;+Win64;+x64)+AppleWebKit/537.36+(KHTML,+like+Gecko)+Chrome/91.0.4472.124+Safari/537.36",
       "Microsoft+Office/16.0+(Windows+NT+10.0;+Microsoft+Outlook+16.0.13901;+Pro)",
       "Apple-iPhone13C2/1805.114", "ExchangeServicesClient/15.01.2176.002",
       "MSRPC", "Outlook-iOS/709.2189947.prod.iphone+(4.2.0)"]
IIS_ATTACKS = [
    "POST /ecp/y.js &CorrelationID=<empty>;&cafeReqId=x; 443 - 192.0.2.66 python-requests/2.25.1 - 200 0 0 31",
    "GET /autodiscover/autodiscover.json @evil.corp/mapi/nspi/?&Email=autodiscover/autodiscover.json%3F@evil.corp 443 - 192.0.2.67 Mozilla/5.0+(zz) - 200 0 0 12",
    "GET /autodiscover/autodiscover.json @evil.corp/powershell/?X-Rps-CAT=VgEA&Email=autodiscover/autodiscover.json%3F@evil.corp 443 - 192.0.2.68 Mozilla/5.0 - 401 0 0 12",
]


def iis_block(n):
    lines = []
    for i in range(n):
        stem = rnd.choice(STEMS)
        meth = "POST" if stem.startswith(("/EWS", "/mapi", "/Microsoft-Server", "/ecp")) else "GET"
        q = rnd.choice(["-", "&CorrelationID=<empty>;&ClientId=ABCDEF0123456789&cafeReqId=0f0e0d0c-1111-2222-3333-444455556666;",
                        "MailboxId=user%d@corp.example&CorrelationID=<empty>;" % rnd.randrange(5000)])
        lines.append("2021-03-%02d %02d:%02d:%02d 10.0.0.5 %s %s %s 443 CORP\\user%d 10.1.%d.%d %s - %d 0 0 %d\n" % (
            rnd.randrange(1, 29), rnd.randrange(24), rnd.randrange(60), rnd.randrange(60), meth, stem, q,
            rnd.randrange(5000), rnd.randrange(256), rnd.randrange(256), rnd.choice(UAS),
            rnd.choice([200, 200, 200, 302, 401, 440]), rnd.randrange(5, 900)))
    return "".join(lines)


HP_HEADER = ("DateTime,RequestId,MajorVersion,MinorVersion,BuildVersion,RevisionVersion,ClientRequestId,Protocol,"
             "UrlHost,UrlStem,ProtocolAction,AuthenticationType,IsAuthenticated,AuthenticatedUser,Organization,"
             "AnchorMailbox,UserAgent,ClientIpAddress,ServerHostName,HttpStatus,BackEndStatus,ErrorCode,Method,"
             "ProxyAction,TargetServer,TargetServerVersion,RoutingType,RoutingHint,BackEndCookie,ServerLocatorHost,"
             "ServerLocatorLatency,RequestBytes,ResponseBytes,TargetOutstandingRequests,AuthModulePerfContext,"
             "HttpPipelineLatency,CalculateTargetBackEndLatency,GlsLatencyBreakup,TotalGlsLatency,"
             "AccountForestLatencyBreakup,TotalAccountForestLatency,ResourceForestLatencyBreakup,"
             "TotalResourceForestLatency,ADLatency,SharedCacheLatencyBreakup,TotalSharedCacheLatency,"
             "ActivityContextLifeTime,ModuleToHandlerSwitchingLatency,ClientReqStreamLatency,BackendReqInitLatency,"
             "BackendReqStreamLatency,BackendProcessingLatency,BackendRespInitLatency,BackendRespStreamLatency,"
             "ClientRespStreamLatency,KerberosAuthHeaderLatency,HandlerCompletionLatency,RequestHandlerLatency,"
             "HandlerToModuleSwitchingLatency,ProxyTime,CoreLatency,RoutingLatency,HttpProxyOverhead,"
             "TotalRequestTime,UrlQuery,BackEndGenericInfo,GenericInfo,GenericErrors,EdgeTraceId,DatabaseGuid,"
             "UserADObjectGuid,PartitionEndpointLookupLatency,RoutingStatus\r\n"
             "#Software: Microsoft Exchange Server\r\n#Version: 15.01.2176.002\r\n#Log-type: HttpProxy Logs\r\n"
             "#Date: 2021-03-03T00:00:00.000Z\r\n")


def hp_line(anchor, user, status, ip):
    return ("2021-03-03T%02d:%02d:%02d.%03dZ,%08x-1111-2222-3333-444455556666,15,1,2176,2,,Owa,mail.corp.example,"
            "/owa/service.svc,GetItem,Negotiate,true,%s,,%s,\"Mozilla/5.0 (Windows NT 10.0; Win64; x64) "
            "AppleWebKit/537.36 (KHTML, like Gecko)\",%s,EX01,%d,%d,,POST,Proxy,ex02.corp.example,"
            "Version 15.1 (Build 2176.2),DatabaseGuid-ServerVersion,Mailbox-Sid~S-1-5-21-1-2-3-%d,,"
            "EX01.corp.example,0,0,1234,0,,0,1,,0,,0,,0,0,,0,12,0,0,0,0,3,1,0,0,0,0,5,0,1,1,0,8,"
            "?action=GetItem&app=Mail,,BeginRequest=2021-03-03T00:00:00.000Z;CorrelationID=<empty>;"
            "ProxyState-Run=None;,,,,,\r\n") % (rnd.randrange(24), rnd.randrange(60), rnd.randrange(60),
                                               rnd.randrange(1000), rnd.randrange(1 << 32), user, anchor, ip,
                                               status, status, rnd.randrange(9000))


def hp_block(n):
    lines = []
    for i in range(n):
        u = "user%d@corp.example" % rnd.randrange(5000)
        lines.append(hp_line("Smtp~" + u, u, rnd.choice([200, 200, 302, 401]), "10.1.%d.%d" % (rnd.randrange(256), rnd.randrange(256))))
    return "".join(lines)


def write(path, header, block, attacks, mb):
    target = mb * 1024 * 1024
    data = block.encode()
    with open(path, "wb") as f:
        f.write(header.encode())
        done, k = 0, 0
        while done < target:
            f.write(data)
            done += len(data)
            f.write(attacks[k % len(attacks)].encode())
            k += 1
    return done


IIS_HEADER = ("#Software: Microsoft Internet Information Services 10.0\r\n#Version: 1.0\r\n#Date: 2021-03-01 00:00:00\r\n"
              "#Fields: date time s-ip cs-method cs-uri-stem cs-uri-query s-port cs-username c-ip cs(User-Agent) "
              "cs(Referer) sc-status sc-substatus sc-win32-status time-taken\r\n")
iis_attacks = ["2021-03-03 04:05:%02d 10.0.0.5 %s\r\n" % (i, a) for i, a in enumerate(IIS_ATTACKS)]
if iis_mb:
    write(os.path.join(IIS_DIR, "u_ex210303.log"), IIS_HEADER, iis_block(20000), iis_attacks, iis_mb)
hp_attacks = [hp_line("ServerInfo~ex01.corp.example:444/ecp/proxyLogon.ecp", "", 241, "192.0.2.66"),
              hp_line("ServerInfo~localhost/owa/auth/logon.aspx?~3", "", 200, "127.0.0.1")]
left, i = hp_mb, 0
while left > 0:
    part = min(256, left)
    write(os.path.join(HP_DIR, "HttpProxy_20210303%02d-1.LOG" % i), HP_HEADER, hp_block(4000), hp_attacks, part)
    left -= part
    i += 1
