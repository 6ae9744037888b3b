using System.Globalization;

namespace Transport.Interop.Peers;

/// <summary>
/// Evidence read from an ngtcp2 example program's debug log (stderr without <c>-q</c>): packets by type and key
/// phase, 0-RTT STREAM frames, Retry, Handshake CRYPTO bytes, the negotiated cipher suite and ALPN. Lines look like
/// <c>I00000000 0x&lt;scid&gt; pkt tx pkn=0 dcid=0x.. scid=0x.. version=0x00000001 type=0RTT len=0</c>,
/// <c>... pkt rx pkn=5 dcid=0x.. type=1RTT k=1</c> and <c>... frm tx 0 0RTT STREAM(0x0b) id=0x0 fin=1 ...</c>.
/// </summary>
public sealed class Ngtcp2Log
{
    private readonly Dictionary<string, int> _sent = new(StringComparer.Ordinal);
    private readonly Dictionary<string, int> _received = new(StringComparer.Ordinal);

    /// <summary>Packets sent with Key Phase 1 (short header <c>k=1</c>).</summary>
    public int SentKeyPhaseOnePackets { get; private set; }

    /// <summary>Packets received with Key Phase 1.</summary>
    public int ReceivedKeyPhaseOnePackets { get; private set; }

    /// <summary>STREAM frames sent in 0-RTT packets.</summary>
    public int SentZeroRttStreamFrames { get; private set; }

    /// <summary>STREAM frames received (decrypted) in 0-RTT packets.</summary>
    public int ReceivedZeroRttStreamFrames { get; private set; }

    /// <summary>Total length of CRYPTO frames received in Handshake packets (a resumed handshake has no Certificate).</summary>
    public long ReceivedHandshakeCryptoBytes { get; private set; }

    /// <summary>Total length of CRYPTO frames sent in Handshake packets.</summary>
    public long SentHandshakeCryptoBytes { get; private set; }

    /// <summary>PATH_CHALLENGE frames sent.</summary>
    public int SentPathChallenges { get; private set; }

    /// <summary>PATH_CHALLENGE frames received.</summary>
    public int ReceivedPathChallenges { get; private set; }

    /// <summary>The server's preferred address the client chose to migrate to ("[127.0.0.1]:4434"), or null.</summary>
    public string? SelectedPreferredAddress { get; private set; }

    /// <summary>"Early data was rejected by server" appeared (client).</summary>
    public bool EarlyDataRejected { get; private set; }

    /// <summary>"QUIC handshake has completed" appeared.</summary>
    public bool HandshakeCompleted { get; private set; }

    /// <summary>GnuTLS's name of the negotiated cipher (e.g. AES-128-GCM, CHACHA20-POLY1305), or null.</summary>
    public string? NegotiatedCipherSuite { get; private set; }

    /// <summary>The negotiated ALPN (h3), or null.</summary>
    public string? NegotiatedAlpn { get; private set; }

    /// <summary>The negotiated QUIC version (e.g. 0x00000001), or null.</summary>
    public string? NegotiatedVersion { get; private set; }

    /// <summary>Packets sent of a type as ngtcp2 names it: Initial, Handshake, 0RTT, 1RTT, Retry.</summary>
    public int Sent(string packetType) => _sent.GetValueOrDefault(packetType);

    /// <summary>Packets received of a type (Initial, Handshake, 0RTT, 1RTT, Retry, VN).</summary>
    public int Received(string packetType) => _received.GetValueOrDefault(packetType);

    /// <summary>Reads the log at <paramref name="path"/>.</summary>
    public static Ngtcp2Log Parse(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        var log = new Ngtcp2Log();
        using var fs = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
        using var reader = new StreamReader(fs);
        while (reader.ReadLine() is string line) log.Add(line);
        return log;
    }

    /// <summary>Reads log text already in memory.</summary>
    public static Ngtcp2Log ParseText(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var log = new Ngtcp2Log();
        using var reader = new StringReader(text);
        while (reader.ReadLine() is string line) log.Add(line);
        return log;
    }

    private void Add(string line)
    {
        int at;
        if ((at = line.IndexOf(" pkt ", StringComparison.Ordinal)) >= 0)
        {
            ReadOnlySpan<char> rest = line.AsSpan(at + 5);
            bool tx = rest.StartsWith("tx ");
            if (!tx && !rest.StartsWith("rx ")) return;
            string? type = Field(rest, "type=");
            if (type is null) return;
            Dictionary<string, int> d = tx ? _sent : _received;
            d[type] = d.GetValueOrDefault(type) + 1;
            if (type == "1RTT" && Field(rest, "k=") == "1")
            {
                if (tx) SentKeyPhaseOnePackets++;
                else ReceivedKeyPhaseOnePackets++;
            }
        }
        else if ((at = line.IndexOf(" frm ", StringComparison.Ordinal)) >= 0)
        {
            // frm tx|rx <pkn> <packet type> <FRAME>(0x..) fields
            string[] parts = line[(at + 5)..].Split(' ', 5, StringSplitOptions.RemoveEmptyEntries);
            if (parts.Length < 4) return;
            bool tx = parts[0] == "tx";
            if (!tx && parts[0] != "rx") return;
            string packetType = parts[2];
            string frame = parts[3];
            if (frame.StartsWith("PATH_CHALLENGE(", StringComparison.Ordinal))
            {
                if (tx) SentPathChallenges++;
                else ReceivedPathChallenges++;
            }
            else if (packetType == "0RTT" && frame.StartsWith("STREAM(", StringComparison.Ordinal))
            {
                if (tx) SentZeroRttStreamFrames++;
                else ReceivedZeroRttStreamFrames++;
            }
            else if (packetType == "Handshake" && frame.StartsWith("CRYPTO(", StringComparison.Ordinal) && parts.Length == 5
                     && Field(parts[4], "len=") is string len && long.TryParse(len, NumberStyles.None, CultureInfo.InvariantCulture, out long n))
            {
                if (tx) SentHandshakeCryptoBytes += n;
                else ReceivedHandshakeCryptoBytes += n;
            }
        }
        else if (line.StartsWith("Negotiated cipher suite is ", StringComparison.Ordinal))
            NegotiatedCipherSuite = line["Negotiated cipher suite is ".Length..].Trim();
        else if (line.StartsWith("Negotiated ALPN is ", StringComparison.Ordinal))
            NegotiatedAlpn = line["Negotiated ALPN is ".Length..].Trim();
        else if (line.StartsWith("QUIC handshake has completed", StringComparison.Ordinal))
            HandshakeCompleted = true;
        else if (line.StartsWith("selected server preferred_address is ", StringComparison.Ordinal))
            SelectedPreferredAddress = line["selected server preferred_address is ".Length..].Trim();
        else if (line.Contains("Early data was rejected by server", StringComparison.Ordinal))
            EarlyDataRejected = true;
        else if ((at = line.IndexOf("the negotiated version is ", StringComparison.Ordinal)) >= 0)
            NegotiatedVersion = line[(at + "the negotiated version is ".Length)..].Trim();
    }

    private static string? Field(ReadOnlySpan<char> text, string name)
    {
        int i = 0;
        while (true)
        {
            int at = text[i..].IndexOf(name, StringComparison.Ordinal);
            if (at < 0) return null;
            at += i;
            if (at == 0 || text[at - 1] == ' ')
            {
                ReadOnlySpan<char> v = text[(at + name.Length)..];
                int end = v.IndexOf(' ');
                return (end < 0 ? v : v[..end]).ToString();
            }
            i = at + name.Length;
        }
    }
}
