using System.Buffers.Binary;
using System.Text;
using Transport.Core.Wire;
using Transport.Quic.Crypto;
using Transport.Quic.Packets;

namespace Transport.Interop.Peers;

/// <summary>
/// What a client offered in its first flight, read by decrypting its Initial packets with the Initial keys (RFC 9001
/// §5.2; anyone can) and parsing the ClientHello (RFC 8446 §4.1.2): cipher suites in order, supported groups, key
/// share groups, ALPN, SNI. This is what the runner's chacha20 check reads from the client's Initials, and what our
/// server has to answer (e.g. whether a HelloRetryRequest is needed for a P-256-only server).
/// </summary>
public sealed class ClientHelloInfo
{
    private ClientHelloInfo(uint version, int initialPackets, List<ushort> cipherSuites, List<ushort> groups, List<ushort> keyShares,
        List<string> alpn, string? serverName)
    {
        QuicVersion = version;
        InitialPackets = initialPackets;
        CipherSuites = cipherSuites;
        SupportedGroups = groups;
        KeyShareGroups = keyShares;
        ApplicationProtocols = alpn;
        ServerName = serverName;
    }

    /// <summary>The QUIC version of the Initial packets.</summary>
    public uint QuicVersion { get; }

    /// <summary>How many Initial packets were decrypted to assemble the ClientHello.</summary>
    public int InitialPackets { get; }

    /// <summary>cipher_suites in the client's order (0x1301 AES-128-GCM, 0x1302 AES-256-GCM, 0x1303 ChaCha20, 0x1304 AES-128-CCM).</summary>
    public IReadOnlyList<ushort> CipherSuites { get; }

    /// <summary>supported_groups (0x001d x25519, 0x0017 secp256r1, 0x0018 secp384r1, 0x0019 secp521r1).</summary>
    public IReadOnlyList<ushort> SupportedGroups { get; }

    /// <summary>The groups of the key_share entries.</summary>
    public IReadOnlyList<ushort> KeyShareGroups { get; }

    /// <summary>The ALPN protocol names offered.</summary>
    public IReadOnlyList<string> ApplicationProtocols { get; }

    /// <summary>The SNI host name, or null.</summary>
    public string? ServerName { get; }

    /// <summary>
    /// Decodes the ClientHello from client datagrams (in arrival order; non-Initial packets, other connections'
    /// packets after the first and undecryptable packets are skipped). False until the CRYPTO stream holds a whole
    /// ClientHello.
    /// </summary>
    public static bool TryDecode(IEnumerable<byte[]> datagrams, out ClientHelloInfo? info)
    {
        ArgumentNullException.ThrowIfNull(datagrams);
        info = null;
        byte[]? firstDcid = null;
        uint version = 0;
        var crypto = new SortedDictionary<long, byte[]>();
        int packets = 0;
        PacketProtection? receive = null;
        try
        {
            foreach (byte[] datagram in datagrams)
            {
                int offset = 0;
                while (offset < datagram.Length)
                {
                    if (!LongHeader.TryParse(datagram.AsSpan(offset), out LongHeader header)) break;
                    int length = header.PacketLength;
                    if (header.Type == PacketType.Initial)
                    {
                        if (firstDcid is null)
                        {
                            firstDcid = header.DestinationConnectionId.ToArray();
                            version = header.Version;
                            InitialSecrets.CreateProtection(version, firstDcid, isServer: true, out PacketProtection send, out receive);
                            send.Dispose();
                        }
                        if (header.DestinationConnectionId.SequenceEqual(firstDcid))
                        {
                            byte[] packet = datagram.AsSpan(offset, length).ToArray();
                            if (receive!.TryOpen(packet, header.PacketNumberOffset, -1, out _, out int headerLength, out int payloadLength))
                            {
                                packets++;
                                ReadCryptoFrames(packet.AsSpan(headerLength, payloadLength), crypto);
                            }
                        }
                    }
                    offset += length;
                }
                byte[] stream = Contiguous(crypto);
                if (TryParseClientHello(stream, out List<ushort>? suites, out List<ushort>? groups, out List<ushort>? shares,
                        out List<string>? alpn, out string? sni))
                {
                    info = new ClientHelloInfo(version, packets, suites!, groups!, shares!, alpn!, sni);
                    return true;
                }
            }
            return false;
        }
        finally
        {
            receive?.Dispose();
        }
    }

    private static void ReadCryptoFrames(ReadOnlySpan<byte> payload, SortedDictionary<long, byte[]> crypto)
    {
        int i = 0;
        while (i < payload.Length)
        {
            byte type = payload[i];
            if (type is 0x00 or 0x01) { i++; continue; } // PADDING, PING
            if (type != 0x06) return;                     // anything else ends what we need to read
            i++;
            if (!VarInt.TryRead(payload[i..], out ulong frameOffset, out int n1)) return;
            i += n1;
            if (!VarInt.TryRead(payload[i..], out ulong frameLength, out int n2)) return;
            i += n2;
            if (frameLength > (ulong)(payload.Length - i)) return;
            crypto.TryAdd((long)frameOffset, payload.Slice(i, (int)frameLength).ToArray());
            i += (int)frameLength;
        }
    }

    private static byte[] Contiguous(SortedDictionary<long, byte[]> crypto)
    {
        var ms = new MemoryStream();
        foreach (KeyValuePair<long, byte[]> kv in crypto)
        {
            if (kv.Key > ms.Length) break;
            int skip = (int)(ms.Length - kv.Key);
            if (skip < kv.Value.Length) ms.Write(kv.Value, skip, kv.Value.Length - skip);
        }
        return ms.ToArray();
    }

    private static bool TryParseClientHello(ReadOnlySpan<byte> s, out List<ushort>? suites, out List<ushort>? groups,
        out List<ushort>? shares, out List<string>? alpn, out string? sni)
    {
        suites = null; groups = []; shares = []; alpn = []; sni = null;
        if (s.Length < 4 || s[0] != 1) return false; // handshake type client_hello
        int bodyLength = (s[1] << 16) | (s[2] << 8) | s[3];
        if (s.Length < 4 + bodyLength) return false;
        ReadOnlySpan<byte> b = s.Slice(4, bodyLength);
        try
        {
            int i = 2 + 32;                                  // legacy_version, random
            i += 1 + b[i];                                   // legacy_session_id
            int suitesLength = BinaryPrimitives.ReadUInt16BigEndian(b[i..]);
            suites = [];
            for (int k = 0; k < suitesLength; k += 2) suites.Add(BinaryPrimitives.ReadUInt16BigEndian(b[(i + 2 + k)..]));
            i += 2 + suitesLength;
            i += 1 + b[i];                                   // legacy_compression_methods
            int extensionsEnd = i + 2 + BinaryPrimitives.ReadUInt16BigEndian(b[i..]);
            i += 2;
            while (i + 4 <= extensionsEnd)
            {
                ushort type = BinaryPrimitives.ReadUInt16BigEndian(b[i..]);
                int length = BinaryPrimitives.ReadUInt16BigEndian(b[(i + 2)..]);
                ReadOnlySpan<byte> e = b.Slice(i + 4, length);
                switch (type)
                {
                    case 0: // server_name: list length, name_type 0, name length, name
                        if (e.Length >= 5 && e[2] == 0) sni = Encoding.ASCII.GetString(e.Slice(5, BinaryPrimitives.ReadUInt16BigEndian(e[3..])));
                        break;
                    case 10: // supported_groups
                        for (int k = 2; k + 1 < 2 + BinaryPrimitives.ReadUInt16BigEndian(e); k += 2) groups.Add(BinaryPrimitives.ReadUInt16BigEndian(e[k..]));
                        break;
                    case 16: // application_layer_protocol_negotiation
                        for (int k = 2; k < e.Length; k += 1 + e[k]) alpn.Add(Encoding.ASCII.GetString(e.Slice(k + 1, e[k])));
                        break;
                    case 51: // key_share: client_shares
                        for (int k = 2; k + 4 <= e.Length; k += 4 + BinaryPrimitives.ReadUInt16BigEndian(e[(k + 2)..]))
                            shares.Add(BinaryPrimitives.ReadUInt16BigEndian(e[k..]));
                        break;
                }
                i += 4 + length;
            }
            return true;
        }
        catch (Exception e) when (e is ArgumentOutOfRangeException or IndexOutOfRangeException)
        {
            return false; // malformed: a length runs past the message
        }
    }
}
