namespace Transport.Quic.Tls;

/// <summary>
/// What a server seals into a session ticket (self-encrypted, so the server keeps no per-ticket state): creation time,
/// lifetime, ticket_age_add, suite, PSK, ALPN, 0-RTT allowance, the application's opaque data and a random id for
/// the replay cache.
/// </summary>
internal sealed class TicketState
{
    private const byte Version = 1;

    public TicketState(DateTimeOffset createdAt, uint lifetime, uint ageAdd, CipherSuite suite, byte[] psk, byte[] alpn, uint maxEarlyData, byte[] appData, byte[] id)
    {
        CreatedAt = createdAt;
        Lifetime = lifetime;
        AgeAdd = ageAdd;
        Suite = suite;
        Psk = psk;
        Alpn = alpn;
        MaxEarlyData = maxEarlyData;
        AppData = appData;
        Id = id;
    }

    public DateTimeOffset CreatedAt { get; }
    public uint Lifetime { get; }
    public uint AgeAdd { get; }
    public CipherSuite Suite { get; }
    public byte[] Psk { get; }
    public byte[] Alpn { get; }
    public uint MaxEarlyData { get; }
    public byte[] AppData { get; }
    public byte[] Id { get; }

    public byte[] Serialize()
    {
        var w = new TlsWriter(128 + AppData.Length);
        w.WriteUInt8(Version);
        long ms = CreatedAt.ToUnixTimeMilliseconds();
        w.WriteUInt32((uint)(ms >> 32)); w.WriteUInt32((uint)ms);
        w.WriteUInt32(Lifetime);
        w.WriteUInt32(AgeAdd);
        w.WriteUInt16((ushort)Suite);
        w.WriteVector8(Psk);
        w.WriteVector8(Alpn);
        w.WriteUInt32(MaxEarlyData);
        w.WriteVector16(AppData);
        w.WriteVector8(Id);
        return w.ToArray();
    }

    /// <summary>Opens and checks a ticket: null when it is not ours, tampered, malformed or expired (a full handshake follows).</summary>
    public static TicketState? Open(TlsSessionTicketKeys keys, ReadOnlySpan<byte> ticket, DateTimeOffset now)
    {
        if (!keys.TryOpen(ticket, out byte[] plain)) return null;
        try
        {
            var r = new TlsReader(plain);
            if (r.ReadUInt8() != Version) return null;
            long ms = ((long)r.ReadUInt32() << 32) | r.ReadUInt32();
            var state = new TicketState(DateTimeOffset.FromUnixTimeMilliseconds(ms), r.ReadUInt32(), r.ReadUInt32(), (CipherSuite)r.ReadUInt16(),
                r.ReadVector8(32).ToArray(), r.ReadVector8(1).ToArray(), r.ReadUInt32(), r.ReadVector16().ToArray(), r.ReadVector8().ToArray());
            r.ExpectEnd("ticket");
            if (!TlsConstants.IsKnownSuite((ushort)state.Suite)) return null;
            if (now < state.CreatedAt || now >= state.CreatedAt + TimeSpan.FromSeconds(state.Lifetime)) return null;
            return state;
        }
        catch (TlsAlertException)
        {
            return null;
        }
    }
}
