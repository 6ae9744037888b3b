using System.Net.Security;

namespace Transport.Quic.Tls;

/// <summary>
/// A session ticket the client received (RFC 8446 §4.6.1), with what resumption and 0-RTT need: the PSK, the suite,
/// the ALPN and the server's transport parameters it was issued with (RFC 9000 §7.4.1: 0-RTT uses the remembered ones).
/// Give it back in <see cref="TlsClientOptions.SessionTicket"/> to resume. Holds a secret: keep it like a password.
/// </summary>
public sealed class TlsSessionTicket
{
    internal TlsSessionTicket(byte[] ticket, CipherSuite suite, byte[] psk, uint ageAdd, TimeSpan lifetime, DateTimeOffset receivedAt,
        uint maxEarlyDataSize, SslApplicationProtocol applicationProtocol, string? serverName, byte[] transportParameters)
    {
        Ticket = ticket;
        CipherSuite = suite;
        Psk = psk;
        AgeAdd = ageAdd;
        Lifetime = lifetime;
        ReceivedAt = receivedAt;
        MaxEarlyDataSize = maxEarlyDataSize;
        ApplicationProtocol = applicationProtocol;
        ServerName = serverName;
        TransportParameters = transportParameters;
    }

    /// <summary>The opaque ticket (the PSK identity).</summary>
    internal byte[] Ticket { get; }

    /// <summary>The resumption PSK derived from the resumption master secret and the ticket nonce.</summary>
    internal byte[] Psk { get; }

    /// <summary>ticket_age_add, added to the ticket age to obfuscate it (RFC 8446 §4.2.11.1).</summary>
    internal uint AgeAdd { get; }

    /// <summary>The cipher suite of the connection that issued the ticket; 0-RTT must use it.</summary>
    public CipherSuite CipherSuite { get; }

    /// <summary>How long the server said the ticket lives.</summary>
    public TimeSpan Lifetime { get; }

    /// <summary>When the client received the ticket.</summary>
    public DateTimeOffset ReceivedAt { get; }

    /// <summary>When the ticket stops being usable.</summary>
    public DateTimeOffset ExpiresAt => ReceivedAt + Lifetime;

    /// <summary>max_early_data_size from the ticket's early_data extension; 0 when the server does not allow 0-RTT.</summary>
    public uint MaxEarlyDataSize { get; }

    /// <summary>True when the server allows 0-RTT with this ticket.</summary>
    public bool AllowsEarlyData => MaxEarlyDataSize != 0;

    /// <summary>The application protocol negotiated on the connection that issued the ticket.</summary>
    public SslApplicationProtocol ApplicationProtocol { get; }

    /// <summary>The server name the ticket was issued for; resume only to the same name.</summary>
    public string? ServerName { get; }

    /// <summary>The server's transport parameters (raw quic_transport_parameters bytes) on the issuing connection; 0-RTT must respect them (RFC 9000 §7.4.1).</summary>
    public byte[] TransportParameters { get; }

    private const byte FormatVersion = 1;

    /// <summary>Encodes the ticket (secret included) to store it across process restarts; read it back with <see cref="TryDeserialize"/>.</summary>
    public byte[] Serialize()
    {
        var w = new TlsWriter(256 + Ticket.Length + TransportParameters.Length);
        w.WriteUInt8(FormatVersion);
        w.WriteVector16(Ticket);
        w.WriteUInt16((ushort)CipherSuite);
        w.WriteVector8(Psk);
        w.WriteUInt32(AgeAdd);
        w.WriteUInt32((uint)Lifetime.TotalSeconds);
        long ms = ReceivedAt.ToUnixTimeMilliseconds();
        w.WriteUInt32((uint)(ms >> 32)); w.WriteUInt32((uint)ms);
        w.WriteUInt32(MaxEarlyDataSize);
        w.WriteVector8(ApplicationProtocol.Protocol.Span);
        w.WriteVector16(ServerName is null ? ReadOnlySpan<byte>.Empty : System.Text.Encoding.UTF8.GetBytes(ServerName));
        w.WriteUInt8(ServerName is null ? 0 : 1);
        w.WriteVector16(TransportParameters);
        return w.ToArray();
    }

    /// <summary>Decodes a ticket written by <see cref="Serialize"/>; false for anything malformed.</summary>
    public static bool TryDeserialize(ReadOnlySpan<byte> data, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out TlsSessionTicket? ticket)
    {
        ticket = null;
        try
        {
            var r = new TlsReader(data);
            if (r.ReadUInt8() != FormatVersion) return false;
            byte[] identity = r.ReadVector16(1).ToArray();
            ushort suite = r.ReadUInt16();
            byte[] psk = r.ReadVector8(32).ToArray();
            uint ageAdd = r.ReadUInt32();
            uint lifetime = r.ReadUInt32();
            long ms = ((long)r.ReadUInt32() << 32) | r.ReadUInt32();
            uint maxEarly = r.ReadUInt32();
            byte[] alpn = r.ReadVector8(1).ToArray();
            byte[] name = r.ReadVector16().ToArray();
            bool hasName = r.ReadUInt8() == 1;
            byte[] tp = r.ReadVector16().ToArray();
            r.ExpectEnd("ticket");
            if (!TlsConstants.IsKnownSuite(suite) || psk.Length != TlsConstants.HashLength(TlsConstants.HashOf((CipherSuite)suite))) return false;
            ticket = new TlsSessionTicket(identity, (CipherSuite)suite, psk, ageAdd, TimeSpan.FromSeconds(lifetime),
                DateTimeOffset.FromUnixTimeMilliseconds(ms), maxEarly, new SslApplicationProtocol(alpn),
                hasName ? System.Text.Encoding.UTF8.GetString(name) : null, tp);
            return true;
        }
        catch (Exception e) when (e is TlsAlertException or ArgumentException)
        {
            return false;
        }
    }
}
