using System.Globalization;
using Transport.Interop.Peers;

namespace Transport.Interop.Checks;

/// <summary>
/// The QUIC Interop Runner's check() of every test case (testcases_quic.py; ../shared/interop/TESTCASES.md §3.2),
/// reimplemented over <see cref="PacketTrace"/>. Each returns the runner's verdict with the runner's reason; the order
/// of the conditions is the runner's, so the first failing one is the one reported.
/// </summary>
public static class RunnerChecks
{
    /// <summary>The runner's QUIC_VERSION.</summary>
    public const string Version1Hex = "0x1";

    /// <summary>Test names <see cref="Check"/> knows.</summary>
    public static readonly IReadOnlyList<string> Known =
    [
        "handshake", "transfer", "longrtt", "chacha20", "multiplexing", "retry", "resumption", "zerortt", "http3",
        "blackhole", "keyupdate", "ecn", "amplificationlimit", "handshakeloss", "transferloss", "handshakecorruption",
        "transfercorruption", "ipv6", "v2", "rebind-port", "rebind-addr", "connectionmigration", "goodput", "crosstraffic",
    ];

    /// <summary>Runs the check of runner test <paramref name="test"/>.</summary>
    public static CheckResult Check(string test, CheckContext c)
    {
        ArgumentNullException.ThrowIfNull(test);
        ArgumentNullException.ThrowIfNull(c);
        return test switch
        {
            "handshake" => Handshake(c),
            "transfer" or "http3" or "blackhole" or "transferloss" or "transfercorruption" or "goodput" or "crosstraffic" => Transfer(c),
            "longrtt" => LongRtt(c),
            "chacha20" => ChaCha20(c),
            "multiplexing" => Multiplexing(c),
            "retry" => Retry(c),
            "resumption" => Resumption(c),
            "zerortt" => ZeroRtt(c),
            "keyupdate" => KeyUpdate(c),
            "ecn" => Ecn(c),
            "amplificationlimit" => AmplificationLimit(c),
            "handshakeloss" or "handshakecorruption" => MultiConnect(c),
            "ipv6" => IPv6(c),
            "v2" => V2(c),
            "rebind-port" => PortRebinding(c),
            "rebind-addr" => AddressRebinding(c),
            "connectionmigration" => ConnectionMigration(c),
            _ => throw new ArgumentException($"Unknown test '{test}' (known: {string.Join(", ", Known)}).", nameof(test)),
        };
    }

    // ---- helpers (testcase.py) ----

    /// <summary>Distinct SCIDs of server-sent Initials in the server-side trace.</summary>
    public static int CountHandshakes(CheckContext c) =>
        c.ServerTrace.LongHeaderPackets(QuicPacketKind.Initial, TraceDirection.FromServer).Select(p => p.Scid).Distinct().Count();

    /// <summary>Versions (as hex(int)) of server-sent Initials in the server-side trace.</summary>
    public static HashSet<string> Versions(CheckContext c) =>
        c.ServerTrace.LongHeaderPackets(QuicPacketKind.Initial, TraceDirection.FromServer).Select(p => HexVersion(p.First("quic.version"))).ToHashSet();

    private static string HexVersion(string? v) => QuicLayer.ParseHex(v) is uint u ? "0x" + u.ToString("x", CultureInfo.InvariantCulture) : v ?? "none";

    /// <summary>The files check: exactly the expected files, byte for byte.</summary>
    public static CheckResult Files(CheckContext c)
    {
        DownloadVerdict v = DownloadVerdict.Compare(c.WebRoot, c.DownloadDirectory, c.Files);
        return v.Succeeded ? CheckResult.Pass() : CheckResult.Fail("files: " + Shorten(v.ToString(), 300));
    }

    /// <summary>_check_version_and_files.</summary>
    public static CheckResult VersionAndFiles(CheckContext c)
    {
        HashSet<string> versions = Versions(c);
        if (versions.Count != 1) return CheckResult.Fail($"Expected exactly one version. Got [{string.Join(", ", versions)}]");
        if (!versions.Contains(Version1Hex)) return CheckResult.Fail($"Wrong version. Expected {Version1Hex}, got [{string.Join(", ", versions)}]");
        return Files(c);
    }

    private static CheckResult? ExpectHandshakes(CheckContext c, int expected)
    {
        int n = CountHandshakes(c);
        return n == expected ? null : CheckResult.Fail(expected == 1
            ? $"Expected exactly 1 handshake. Got: {n}"
            : $"Expected exactly {expected} handshakes. Got: {n}");
    }

    private static CheckResult? NeedKeyLog(CheckContext c) =>
        c.KeyLog is null ? CheckResult.Unsupported("Can't check test result. SSLKEYLOG required.") : null;

    private static string Shorten(string s, int max) => s.Length <= max ? s : s[..max] + "...";

    // ---- test cases ----

    private static CheckResult Handshake(CheckContext c)
    {
        CheckResult vf = VersionAndFiles(c);
        if (!vf.Succeeded) return vf;
        if (c.ClientTrace.LongHeaderPackets(QuicPacketKind.Retry, null).Count > 0) return CheckResult.Fail("Didn't expect a Retry to be sent.");
        return ExpectHandshakes(c, 1) ?? CheckResult.Pass();
    }

    private static CheckResult Transfer(CheckContext c) => ExpectHandshakes(c, 1) ?? VersionAndFiles(c);

    private static CheckResult MultiConnect(CheckContext c) => ExpectHandshakes(c, c.Files.Count) ?? VersionAndFiles(c);

    private static CheckResult LongRtt(CheckContext c)
    {
        CheckResult? r = ExpectHandshakes(c, 1);
        if (r is not null) return r;
        CheckResult vf = VersionAndFiles(c);
        if (!vf.Succeeded) return vf;
        int clientHellos = 0;
        foreach (QuicLayer p in c.ClientTrace.LongHeaderPackets(QuicPacketKind.Initial, TraceDirection.FromClient))
        {
            if (p.Has("tls.handshake.type")) { if (p.First("tls.handshake.type") == "1") clientHellos++; }
            else if (p.Has("quic.retransmission") || p.Has("quic.overlap")) clientHellos++; // a resent ClientHello has no tls.handshake.type (wireshark #18696)
        }
        return clientHellos >= 2 ? CheckResult.Pass() : CheckResult.Fail($"Expected at least 2 ClientHellos. Got: {clientHellos}");
    }

    private static CheckResult ChaCha20(CheckContext c)
    {
        CheckResult? r = ExpectHandshakes(c, 1);
        if (r is not null) return r;
        var suites = new HashSet<string>(StringComparer.Ordinal);
        foreach (QuicLayer p in c.ClientTrace.LongHeaderPackets(QuicPacketKind.Initial, TraceDirection.FromClient))
            if (p.First("tls.handshake.ciphersuite") is string s) suites.Add(s);
        if (suites.Count != 1 || !suites.Contains("0x1303"))
            return CheckResult.Fail($"Expected only ChaCha20 cipher suite to be offered. Got: [{string.Join(", ", suites)}]");
        return VersionAndFiles(c);
    }

    private static CheckResult Multiplexing(CheckContext c)
    {
        CheckResult? r = NeedKeyLog(c) ?? ExpectHandshakes(c, 1);
        if (r is not null) return r;
        CheckResult vf = VersionAndFiles(c);
        if (!vf.Succeeded) return vf;
        bool checkedLimit = false;
        foreach (QuicLayer p in c.ServerTrace.LongHeaderPackets(QuicPacketKind.Handshake, TraceDirection.FromServer))
        {
            if (p.First("tls.quic.parameter.initial_max_streams_bidi") is not string v) continue;
            checkedLimit = true;
            if (!long.TryParse(v, NumberStyles.Integer, CultureInfo.InvariantCulture, out long limit) || limit > 1000)
                return CheckResult.Fail($"Server set a stream limit > 1000: {v}");
        }
        return checkedLimit ? CheckResult.Pass() : CheckResult.Fail("Couldn't check stream limit.");
    }

    private static CheckResult Retry(CheckContext c)
    {
        CheckResult? r = ExpectHandshakes(c, 1);
        if (r is not null) return r;
        CheckResult vf = VersionAndFiles(c);
        if (!vf.Succeeded) return vf;
        var tokens = new List<string>();
        foreach (QuicLayer p in c.ClientTrace.LongHeaderPackets(QuicPacketKind.Retry, TraceDirection.FromServer))
        {
            if (p.First("quic.retry_token") is not string t) return CheckResult.Fail("Retry packet doesn't have a retry_token");
            tokens.Add(t.Replace(":", "", StringComparison.Ordinal));
        }
        if (tokens.Count == 0) return CheckResult.Fail("Didn't find a Retry packet.");
        long highestWithoutToken = -1;
        foreach (QuicLayer p in c.ClientTrace.LongHeaderPackets(QuicPacketKind.Initial, TraceDirection.FromClient))
        {
            long pn = p.PacketNumber ?? -1;
            if (p.First("quic.token_length") == "0")
            {
                highestWithoutToken = Math.Max(highestWithoutToken, pn);
                continue;
            }
            if (pn <= highestWithoutToken) continue;
            string token = (p.First("quic.token") ?? "").Replace(":", "", StringComparison.Ordinal);
            if (tokens.Contains(token)) return CheckResult.Pass();
        }
        return CheckResult.Fail("Didn't find any Initial packet using a Retry token (with a packet number above the token-less Initials').");
    }

    private static CheckResult Resumption(CheckContext c)
    {
        CheckResult? r = NeedKeyLog(c) ?? ExpectHandshakes(c, 2);
        if (r is not null) return r;
        List<QuicLayer> handshake = c.ClientTrace.LongHeaderPackets(QuicPacketKind.Handshake, TraceDirection.FromServer);
        if (handshake.Count == 0) return CheckResult.Fail("No server Handshake packets in the client trace.");
        string? first = handshake[0].Scid, last = handshake[^1].Scid;
        bool firstHasCert = false;
        foreach (QuicLayer p in handshake)
        {
            if (p.Scid == first) { if (p.Has("tls.handshake.certificates_length")) firstHasCert = true; }
            else if (p.Scid == last) { if (p.Has("tls.handshake.certificates_length")) return CheckResult.Fail("Server sent a Certificate message in the second handshake."); }
            else return CheckResult.Fail("Found handshake packet that neither belongs to the first nor the second handshake.");
        }
        if (!firstHasCert) return CheckResult.Fail("Didn't find a Certificate message in the first handshake. That's weird.");
        return VersionAndFiles(c);
    }

    /// <summary>Number of files and name length the runner's zerortt uses for its 1-RTT budget.</summary>
    public const int ZeroRttFileCount = 40, ZeroRttNameLength = 250;

    private static CheckResult ZeroRtt(CheckContext c)
    {
        CheckResult? r = ExpectHandshakes(c, 2);
        if (r is not null) return r;
        CheckResult vf = VersionAndFiles(c);
        if (!vf.Succeeded) return vf;
        int zeroRtt = c.ClientTrace.LongHeaderPackets(QuicPacketKind.ZeroRtt, TraceDirection.FromClient).Sum(p => p.PayloadSize);
        int oneRtt = 0;
        foreach (TraceDatagram d in c.ClientTrace.Datagrams("quic.header_form==0"))
        {
            if (d.Direction != TraceDirection.FromClient) continue;
            foreach (QuicLayer p in d.Packets)
                if (p.Kind == QuicPacketKind.OneRtt) oneRtt += p.PayloadSize;
        }
        if (zeroRtt == 0) return CheckResult.Fail("Client didn't send any 0-RTT data.");
        double budget = 0.5 * ZeroRttNameLength * ZeroRttFileCount;
        if (oneRtt > budget) return CheckResult.Fail($"Client sent too much data in 1-RTT packets ({oneRtt} > {budget} bytes; 0-RTT {zeroRtt}).");
        return CheckResult.Pass($"0-RTT {zeroRtt} B, 1-RTT {oneRtt} B");
    }

    private static CheckResult KeyUpdate(CheckContext c)
    {
        CheckResult? r = NeedKeyLog(c) ?? ExpectHandshakes(c, 1);
        if (r is not null) return r;
        CheckResult vf = VersionAndFiles(c);
        if (!vf.Succeeded) return vf;
        int client1 = c.ClientTrace.Fields("quic.header_form==0 && quic.key_phase==1", "frame.number").Count(row => c.ClientTrace.DirectionOf(row) == TraceDirection.FromClient);
        int server1 = c.ServerTrace.Fields("quic.header_form==0 && quic.key_phase==1", "frame.number").Count(row => c.ServerTrace.DirectionOf(row) == TraceDirection.FromServer);
        if (client1 * (long)server1 == 0)
            return CheckResult.Fail($"Expected to see packets sent with key phase 1 from both client and server (client {client1}, server {server1}).");
        return CheckResult.Pass($"key phase 1: client {client1}, server {server1}");
    }

    private static CheckResult Ecn(CheckContext c)
    {
        CheckResult? r = NeedKeyLog(c);
        if (r is not null) return r;
        CheckResult h = Handshake(c);
        if (!h.Succeeded) return h;
        (int[] clientMarks, bool clientAckEcn) = EcnOf(c.ClientTrace, TraceDirection.FromClient);
        (int[] serverMarks, bool serverAckEcn) = EcnOf(c.ServerTrace, TraceDirection.FromServer);
        static bool Any(int[] e) => e[1] + e[2] > 0;
        static bool AllOk(int[] e) => e[3] == 0 && Any(e);
        var reasons = new List<string>();
        if (!Any(clientMarks)) reasons.Add("Client did not mark any packets ECT(0) or ECT(1)");
        else if (!serverAckEcn) reasons.Add("Server did not send any ACK-ECN frames");
        else if (!AllOk(clientMarks)) reasons.Add("Not all client packets were consistently marked with ECT(0) or ECT(1)");
        if (!Any(serverMarks)) reasons.Add("Server did not mark any packets ECT(0) or ECT(1)");
        else if (!clientAckEcn) reasons.Add("Client did not send any ACK-ECN frames");
        else if (!AllOk(serverMarks)) reasons.Add("Not all server packets were consistently marked with ECT(0) or ECT(1)");
        return AllOk(clientMarks) && AllOk(serverMarks) && clientAckEcn && serverAckEcn ? CheckResult.Pass() : CheckResult.Fail(string.Join("; ", reasons));
    }

    // Per direction: counts of the IP ECN codepoints (index 0..3) of that side's packets, and whether that side's
    // packets (as the runner reads them, from the same list) carry ACK-ECN counts.
    private static (int[] Marks, bool AckEcn) EcnOf(PacketTrace trace, TraceDirection direction)
    {
        var marks = new int[4];
        bool ackEcn = false;
        foreach (string[] row in trace.Fields("quic", "ip.dsfield.ecn", "ipv6.tclass.ecn", "quic.ack.ect0_count"))
        {
            if (trace.DirectionOf(row) != direction) continue;
            string e = row[4].Length > 0 ? row[4] : row[5];
            if (int.TryParse(e.Split(',')[0], NumberStyles.Integer, CultureInfo.InvariantCulture, out int ecn) && ecn is >= 0 and <= 3) marks[ecn]++;
            if (row[6].Length > 0) ackEcn = true;
        }
        return (marks, ackEcn);
    }

    /// <summary>Minimum Handshake CRYPTO bytes the server must send in amplificationlimit (the whole chain).</summary>
    public const int AmplificationMinimumHandshakeCrypto = 7500;

    private static CheckResult AmplificationLimit(CheckContext c)
    {
        CheckResult? r = NeedKeyLog(c) ?? ExpectHandshakes(c, 1);
        if (r is not null) return r;
        CheckResult vf = VersionAndFiles(c);
        if (!vf.Succeeded) return vf;
        long maxOffset = 0;
        foreach (QuicLayer p in c.ServerTrace.LongHeaderPackets(QuicPacketKind.Handshake, TraceDirection.FromServer))
        {
            if (long.TryParse(p.First("quic.crypto.offset"), NumberStyles.Integer, CultureInfo.InvariantCulture, out long off)
                && long.TryParse(p.First("quic.crypto.length"), NumberStyles.Integer, CultureInfo.InvariantCulture, out long len))
                maxOffset = Math.Max(maxOffset, off + len);
        }
        if (maxOffset < AmplificationMinimumHandshakeCrypto)
            return CheckResult.Fail($"Server sent too little Handshake CRYPTO data ({maxOffset} bytes). Not using the provided cert chain?");
        return AmplificationBudget(c.ServerTrace.Datagrams("quic"));
    }

    /// <summary>
    /// The amplification walk over the server-side trace (raw datagrams in order, first QUIC packet of each as pyshark's
    /// packet.quic): until the first client Handshake packet, each client Initial adds 3x (4x tolerated) its UDP payload,
    /// each server datagram spends its UDP payload; a server datagram at or above the 4x budget fails.
    /// </summary>
    public static CheckResult AmplificationBudget(IReadOnlyList<TraceDatagram> datagrams)
    {
        ArgumentNullException.ThrowIfNull(datagrams);
        long allowed = 0, allowedWithTolerance = 0;
        foreach (TraceDatagram d in datagrams)
        {
            if (d.Packets.Count == 0) continue;
            QuicPacketKind kind = d.Packets[0].Kind;
            if (kind == QuicPacketKind.VersionNegotiation) return CheckResult.Fail("Didn't expect a Version Negotiation packet.");
            int size = d.UdpLength - 8;
            if (kind == QuicPacketKind.Invalid) return CheckResult.Fail($"Couldn't determine packet type (frame {d.Number}).");
            if (d.Direction == TraceDirection.FromClient)
            {
                if (kind == QuicPacketKind.Handshake) return CheckResult.Pass();
                if (kind == QuicPacketKind.Initial) { allowed += 3L * size; allowedWithTolerance += 4L * size; }
            }
            else if (d.Direction == TraceDirection.FromServer)
            {
                if (size >= allowedWithTolerance)
                    return CheckResult.Fail($"Server violated the amplification limit: a {size}-byte datagram (frame {d.Number}) with {allowedWithTolerance} bytes left at 4x.");
                allowedWithTolerance -= size;
                allowed -= size;
            }
            else return CheckResult.Fail("Couldn't determine sender of packet.");
        }
        return CheckResult.Fail("Server violated the amplification limit or the client never sent a Handshake packet.");
    }

    private static CheckResult IPv6(CheckContext c)
    {
        CheckResult t = Transfer(c);
        if (!t.Succeeded) return t;
        int v4 = c.ServerTrace.Fields("quic && ip", "frame.number").Count(row => c.ServerTrace.DirectionOf(row) == TraceDirection.FromServer);
        return v4 == 0 ? CheckResult.Pass() : CheckResult.Fail($"Packet trace contains {v4} IPv4 packets.");
    }

    private static CheckResult V2(CheckContext c)
    {
        static HashSet<string> Of(List<QuicLayer> ps) => ps.Select(p => HexVersion(p.First("quic.version"))).ToHashSet();
        const string v1 = "0x1", v2 = "0x6b3343cf";
        HashSet<string> v = Of(c.ClientTrace.LongHeaderPackets(QuicPacketKind.Initial, TraceDirection.FromClient));
        if (!v.Contains(v1)) return CheckResult.Fail($"Wrong version in client Initial. Expected {v1}, got [{string.Join(", ", v)}]");
        v = Of(c.ServerTrace.LongHeaderPackets(QuicPacketKind.Initial, TraceDirection.FromServer));
        if (!v.Contains(v2)) return CheckResult.Fail($"Wrong version in server Initial. Expected {v2}, got [{string.Join(", ", v)}]");
        v = Of(c.ClientTrace.LongHeaderPackets(QuicPacketKind.Handshake, TraceDirection.FromClient));
        if (v.Count != 1 || !v.Contains(v2)) return CheckResult.Fail($"Expected exactly {v2} in client Handshake. Got [{string.Join(", ", v)}]");
        v = Of(c.ServerTrace.LongHeaderPackets(QuicPacketKind.Handshake, TraceDirection.FromServer));
        if (v.Count != 1 || !v.Contains(v2)) return CheckResult.Fail($"Expected exactly {v2} in server Handshake. Got [{string.Join(", ", v)}]");
        return Files(c);
    }

    private static CheckResult PortRebinding(CheckContext c)
    {
        CheckResult? r = NeedKeyLog(c);
        if (r is not null) return r;
        CheckResult t = Transfer(c);
        if (!t.Succeeded) return t;
        return RebindingPaths(c);
    }

    private static CheckResult RebindingPaths(CheckContext c)
    {
        List<string[]> server = c.ServerTrace.Fields("quic", "quic.path_challenge.data");
        string? last = null, cur = null;
        var paths = new HashSet<string>(StringComparer.Ordinal);
        var challenges = new HashSet<string>(StringComparer.Ordinal);
        foreach (string[] row in server)
        {
            if (c.ServerTrace.DirectionOf(row) != TraceDirection.FromServer) continue;
            cur = $"{row[0]}:{row[1]}->{row[2]}:{row[3]}";
            if (last is null) { last = cur; continue; }
            if (last != cur && !paths.Contains(cur))
            {
                paths.Add(last);
                last = cur;
                if (row[4].Length == 0) return CheckResult.Fail($"First server packet on new path {cur} did not contain a PATH_CHALLENGE frame");
                challenges.Add(row[4].Split(',')[0]);
            }
        }
        if (cur is not null) paths.Add(cur);
        if (paths.Count <= 1) return CheckResult.Fail("Server saw only a single path in use; test broken?");
        var responses = new HashSet<string>(StringComparer.Ordinal);
        foreach (string[] row in c.ClientTrace.Fields("quic.path_response.data", "quic.path_response.data"))
            if (c.ClientTrace.DirectionOf(row) == TraceDirection.FromClient)
                foreach (string s in row[4].Split(',', StringSplitOptions.RemoveEmptyEntries)) responses.Add(s);
        List<string> unanswered = challenges.Where(ch => !responses.Contains(ch)).ToList();
        return unanswered.Count == 0 ? CheckResult.Pass($"{paths.Count} paths")
            : CheckResult.Fail($"PATH_CHALLENGE without a PATH_RESPONSE: {string.Join(", ", unanswered)}");
    }

    private static CheckResult AddressRebinding(CheckContext c)
    {
        CheckResult? r = NeedKeyLog(c);
        if (r is not null) return r;
        var ips = new HashSet<string>(StringComparer.Ordinal);
        foreach (string[] row in c.ServerTrace.Fields("quic", "frame.number"))
            if (c.ServerTrace.DirectionOf(row) == TraceDirection.FromServer) ips.Add(row[2]);
        if (ips.Count <= 1) return CheckResult.Fail("Server saw only a single client IP address in use; test broken?");
        return PortRebinding(c);
    }

    private static CheckResult ConnectionMigration(CheckContext c)
    {
        // The rebinding checks (new server paths start with PATH_CHALLENGE, more than one path, challenges answered),
        // then: the client's first packet on each new 4-tuple uses a DCID other than the one it used before.
        CheckResult r = PortRebinding(c);
        if (!r.Succeeded) return r;
        string? last = null, dcid = null;
        var paths = new HashSet<string>(StringComparer.Ordinal);
        foreach (string[] row in c.ClientTrace.Fields("quic", "quic.dcid"))
        {
            if (c.ClientTrace.DirectionOf(row) != TraceDirection.FromClient) continue;
            string cur = $"{row[0]}:{row[1]}->{row[2]}:{row[3]}";
            string rowDcid = row[4].Split(',')[0];
            if (last is null) { last = cur; dcid = rowDcid; continue; }
            if (last != cur && !paths.Contains(cur))
            {
                paths.Add(last);
                last = cur;
                if (dcid == rowDcid) return CheckResult.Fail($"First client packet during active migration to {cur} used previous DCID {dcid}");
                dcid = rowDcid;
            }
        }
        return CheckResult.Pass(r.Reason);
    }

    /// <summary>
    /// Goodput in kbit/s as the runner measures it: 8 x <paramref name="fileBytes"/> over the time between the first
    /// and the last server-sent 1-RTT packet in the client trace (ms). Null when undefined.
    /// </summary>
    public static double? Goodput(CheckContext c, long fileBytes)
    {
        ArgumentNullException.ThrowIfNull(c);
        double first = 0, last = 0;
        foreach (string[] row in c.ClientTrace.Fields("quic.header_form==0", "frame.time_epoch"))
        {
            if (c.ClientTrace.DirectionOf(row) != TraceDirection.FromServer) continue;
            if (!double.TryParse(row[4].Split(',')[0], NumberStyles.Float, CultureInfo.InvariantCulture, out double t)) continue;
            if (first == 0) first = t;
            last = t;
        }
        double ms = (last - first) * 1000;
        return ms <= 0 ? null : 8.0 * fileBytes / ms;
    }
}
