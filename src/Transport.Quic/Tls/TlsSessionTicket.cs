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
}
