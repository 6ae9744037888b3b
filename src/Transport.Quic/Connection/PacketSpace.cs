using Transport.Quic.Crypto;
using Transport.Reliable;
using Transport.Reliable.Ack;
using Transport.Reliable.Streams;

namespace Transport.Quic.Connection;

/// <summary>
/// One packet number space (RFC 9000 §12.3): its packet numbers, the packets received (for ACK frames), its CRYPTO
/// stream in both directions and, for Initial and Handshake, its keys (1-RTT keys live in <see cref="Crypto.OneRttKeys"/>).
/// </summary>
internal sealed class PacketSpace : IDisposable
{
    /// <summary>Crypto data the peer may send beyond what TLS consumed (RFC 9000 §7.5: at least 4096 bytes).</summary>
    public const long CryptoReceiveLimit = 1 << 17;

    public PacketSpace(PacketNumberSpace id, EncryptionLevel level, TimeSpan maxAckDelay)
    {
        Id = id;
        Level = level;
        Tracker = new ReceivedPacketTracker(id, maxAckDelay);
    }

    public PacketNumberSpace Id { get; }

    public EncryptionLevel Level { get; }

    public PacketProtection? SendKeys { get; set; }

    public PacketProtection? ReceiveKeys { get; set; }

    public ReceivedPacketTracker Tracker { get; }

    public long NextPacketNumber { get; set; }

    // The CRYPTO stream buffers (about 0.8 KiB a space) exist from first use: the application space of most connections
    // carries one NewSessionTicket or none, and a discarded space gives them back.
    private SendBuffer? _cryptoSend;
    private ReceiveBuffer? _cryptoReceive;

    public SendBuffer CryptoSend => _cryptoSend ??= new(1024);

    public ReceiveBuffer CryptoReceive => _cryptoReceive ??= new(1024);

    /// <summary>CRYPTO data waits to be sent (without creating the buffer to ask).</summary>
    public bool HasCryptoDataToSend => _cryptoSend is { HasDataToSend: true };

    public bool IsDiscarded { get; private set; }

    /// <summary>Ack-eliciting probe packets the PTO asked for in this space (RFC 9002 §6.2.4).</summary>
    public int ProbesPending { get; set; }

    public bool HasSendKeys => SendKeys is not null && !IsDiscarded;

    public void Discard()
    {
        if (IsDiscarded) return;
        IsDiscarded = true;
        ProbesPending = 0;
        SendKeys?.Dispose();
        ReceiveKeys?.Dispose();
        SendKeys = null;
        ReceiveKeys = null;
        _cryptoSend?.Dispose();
        _cryptoReceive?.Dispose();
        _cryptoSend = null; // a discarded space sends and receives nothing more (callers check IsDiscarded)
        _cryptoReceive = null;
        Tracker.OnAckSent();
    }

    public void Dispose() => Discard();
}
