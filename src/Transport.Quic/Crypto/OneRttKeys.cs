using System.Security.Cryptography;
using Transport.Quic.Packets;

namespace Transport.Quic.Crypto;

/// <summary>
/// 1-RTT packet protection with key updates (RFC 9001 §6): the send keys of the current generation, and for receiving
/// the previous, current and next generations, chosen per packet by the Key Phase bit and the packet number. The
/// header-protection keys never change (RFC 9001 §6.1). Key generation n + 1 is derived from generation n's secret with
/// HKDF-Expand-Label(secret, "quic ku", "", Hash.length), in each direction.
/// </summary>
/// <remarks>
/// Not thread-safe. Sealing and opening allocate nothing, except the first packet of a generation's other Key Phase,
/// which derives the next receive generation (see <see cref="TryOpen"/>: derived on first need rather than ahead, which
/// saves an AEAD object and an HKDF chain on every connection that never updates its keys).
/// The connection remains responsible for the rules that need acknowledgments or timers: not initiating an update
/// before the handshake is confirmed or before a packet of the current phase was acknowledged (RFC 9001 §6.1, §6.5),
/// and calling <see cref="DiscardPreviousKeys"/> about three PTOs after an update (RFC 9001 §6.5).
/// </remarks>
public sealed class OneRttKeys : IDisposable
{
    /// <summary>The Key Phase bit of the short header's first byte (RFC 9000 §17.3.1).</summary>
    public const byte KeyPhaseBit = 0x04;

    private readonly HeaderProtection _sendHeader;
    private HeaderProtection _receiveHeader;
    private PayloadProtection _send;
    private PayloadProtection? _receivePrevious;
    private PayloadProtection _receiveCurrent;
    // Derived on first need: the first packet whose Key Phase is not the current one (RFC 9001 §6.3 MAY).
    private PayloadProtection? _receiveNext;
    // The lowest packet number authenticated with the current receive keys since they became current (RFC 9001 §6.5).
    private long _receiveCurrentLowestPacketNumber;
    private bool _disposed;
    // False while only the send direction is known: a server's 0.5-RTT keys (RFC 9001 §4.1.1, §5.7).
    private bool _canReceive = true;

    private OneRttKeys(HeaderProtection sendHeader, HeaderProtection receiveHeader, PayloadProtection send, PayloadProtection receive)
    {
        _sendHeader = sendHeader;
        _receiveHeader = receiveHeader;
        _send = send;
        _receiveCurrent = receive;
    }

    // Send-only keys: the receive slots alias the send objects (never used to open while _canReceive is false) until
    // InstallReceiveSecret replaces them, so no receive keys are derived from the send secret only to be thrown away.
    private OneRttKeys(HeaderProtection sendHeader, PayloadProtection send)
    {
        _sendHeader = sendHeader;
        _receiveHeader = sendHeader;
        _send = send;
        _receiveCurrent = send;
        _canReceive = false;
    }

    /// <summary>Creates 1-RTT keys from the TLS application traffic secrets of this endpoint (RFC 9001 §5.1).</summary>
    /// <param name="suite">The negotiated cipher suite.</param>
    /// <param name="sendSecret">This endpoint's application traffic secret (client_application_traffic_secret_0 for a client).</param>
    /// <param name="receiveSecret">The peer's application traffic secret.</param>
    /// <param name="version">0x00000001 (default) or 0x6b3343cf.</param>
    /// <exception cref="ArgumentException">Unknown suite or version, or a secret of the wrong length.</exception>
    public static OneRttKeys Create(CipherSuite suite, ReadOnlySpan<byte> sendSecret, ReadOnlySpan<byte> receiveSecret, uint version = QuicVersionParameters.Version1)
    {
        var parameters = QuicVersionParameters.Get(version);
        KeySchedule.ValidateSecret(suite, sendSecret, nameof(sendSecret));
        KeySchedule.ValidateSecret(suite, receiveSecret, nameof(receiveSecret));
        Span<byte> hp = stackalloc byte[KeySchedule.MaxKeyLength];
        hp = hp.Slice(0, KeySchedule.KeyLength(suite));
        // One secret after the other: HkdfLabel keeps the HMAC of the last secret expanded, so hp, key and iv of one
        // secret in a row key one HMAC instead of alternating between the two secrets (two HMAC setups fewer).
        KeySchedule.DeriveHeaderProtectionKey(suite, parameters, sendSecret, hp);
        var sendHeader = HeaderProtection.Create(suite, hp);
        var send = PayloadProtection.Create(suite, parameters, sendSecret);
        KeySchedule.DeriveHeaderProtectionKey(suite, parameters, receiveSecret, hp);
        var receiveHeader = HeaderProtection.Create(suite, hp);
        CryptographicOperations.ZeroMemory(hp);
        return new OneRttKeys(sendHeader, receiveHeader, send, PayloadProtection.Create(suite, parameters, receiveSecret));
    }

    /// <summary>
    /// Send-only 1-RTT keys: a server has its own application traffic secret right after its first flight and may send
    /// 0.5-RTT data with it (RFC 9001 §4.1.1) while it must not process 1-RTT packets yet (RFC 9001 §5.7).
    /// <see cref="TryOpen"/> fails until <see cref="InstallReceiveSecret"/>.
    /// </summary>
    /// <exception cref="ArgumentException">Unknown suite or version, or a secret of the wrong length.</exception>
    internal static OneRttKeys CreateSendOnly(CipherSuite suite, ReadOnlySpan<byte> sendSecret, uint version = QuicVersionParameters.Version1)
    {
        var parameters = QuicVersionParameters.Get(version);
        KeySchedule.ValidateSecret(suite, sendSecret, nameof(sendSecret));
        Span<byte> hp = stackalloc byte[KeySchedule.MaxKeyLength];
        hp = hp.Slice(0, KeySchedule.KeyLength(suite));
        KeySchedule.DeriveHeaderProtectionKey(suite, parameters, sendSecret, hp);
        var sendHeader = HeaderProtection.Create(suite, hp);
        CryptographicOperations.ZeroMemory(hp);
        return new OneRttKeys(sendHeader, PayloadProtection.Create(suite, parameters, sendSecret));
    }

    /// <summary>Whether packets can be opened (false for <see cref="CreateSendOnly"/> keys until <see cref="InstallReceiveSecret"/>).</summary>
    internal bool CanReceive => _canReceive;

    /// <summary>Completes <see cref="CreateSendOnly"/> keys with the peer's application traffic secret (generation 0).</summary>
    /// <exception cref="InvalidOperationException">The receive keys are already installed.</exception>
    /// <exception cref="ArgumentException">A secret of the wrong length.</exception>
    internal void InstallReceiveSecret(ReadOnlySpan<byte> receiveSecret, uint version = QuicVersionParameters.Version1)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (_canReceive) throw new InvalidOperationException("The 1-RTT receive keys are already installed.");
        var suite = _send.CipherSuite;
        var parameters = QuicVersionParameters.Get(version);
        KeySchedule.ValidateSecret(suite, receiveSecret, nameof(receiveSecret));
        Span<byte> hp = stackalloc byte[KeySchedule.MaxKeyLength];
        hp = hp.Slice(0, KeySchedule.KeyLength(suite));
        KeySchedule.DeriveHeaderProtectionKey(suite, parameters, receiveSecret, hp);
        var receiveHeader = HeaderProtection.Create(suite, hp);
        CryptographicOperations.ZeroMemory(hp);
        _receiveHeader = receiveHeader;
        _receiveCurrent = PayloadProtection.Create(suite, parameters, receiveSecret);
        _canReceive = true;
    }

    /// <summary>The negotiated cipher suite.</summary>
    public CipherSuite CipherSuite => _send.CipherSuite;

    /// <summary>The generation of the send keys: 0 for the secret from TLS, one more per key update.</summary>
    public int SendGeneration => _send.Generation;

    /// <summary>The generation of the current receive keys.</summary>
    public int ReceiveGeneration => _receiveCurrent.Generation;

    /// <summary>The Key Phase bit this endpoint sends: the low bit of <see cref="SendGeneration"/> (RFC 9001 §6).</summary>
    public bool SendKeyPhase => (_send.Generation & 1) != 0;

    /// <summary>
    /// True after this endpoint initiated a key update that the peer has not yet answered with a packet in the new key
    /// phase; no further update may be initiated until then (RFC 9001 §6.1).
    /// </summary>
    public bool IsKeyUpdatePending => _send.Generation != _receiveCurrent.Generation;

    /// <summary>Whether the previous generation's receive keys are still kept.</summary>
    public bool HasPreviousKeys => _receivePrevious is not null;

    /// <summary>Packets sealed with the current send key, to compare with <see cref="AeadLimits.ConfidentialityLimit"/>.</summary>
    public long EncryptedPackets => _send.EncryptedPackets;

    /// <summary>Packets that failed authentication with any generation, to compare with <see cref="AeadLimits.IntegrityLimit"/>.</summary>
    public long DecryptionFailures { get; private set; }

    /// <summary>
    /// Initiates a key update (RFC 9001 §6.1): from now on packets are sealed with the next generation and the other
    /// Key Phase. Returns false and changes nothing while an update this endpoint initiated is still unanswered, or while
    /// send-only keys have no receive keys yet.
    /// </summary>
    public bool TryInitiateKeyUpdate()
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (IsKeyUpdatePending || !_canReceive) return false;
        var old = _send;
        _send = old.DeriveNext();
        old.Dispose();
        return true;
    }

    /// <summary>
    /// Protects a short-header packet in place, like <see cref="PacketProtection.Seal"/>, after setting the Key Phase bit
    /// of the first byte to <see cref="SendKeyPhase"/>.
    /// </summary>
    /// <exception cref="ArgumentException">Not a short header, or an inconsistent layout.</exception>
    public int Seal(Span<byte> packet, int headerLength, int packetNumberOffset, int packetNumberLength, long packetNumber)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (packet.IsEmpty || (packet[0] & 0x80) != 0)
            throw new ArgumentException("1-RTT packets have a short header (first bit 0).", nameof(packet));
        packet[0] = (byte)((packet[0] & ~KeyPhaseBit) | (SendKeyPhase ? KeyPhaseBit : 0));
        return PacketProtection.SealCore(_send, _sendHeader, packet, headerLength, packetNumberOffset, packetNumberLength, packetNumber);
    }

    /// <summary>
    /// <see cref="Seal"/> without header protection: the caller applies <see cref="SendHeaderProtection"/> to the packet
    /// afterwards (<see cref="HeaderProtection.ApplyBatch"/>, many packets in one cipher call) before it leaves.
    /// </summary>
    internal void SealWithoutHeaderProtection(Span<byte> packet, int headerLength, int packetNumberOffset, int packetNumberLength, long packetNumber)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (packet.IsEmpty || (packet[0] & 0x80) != 0)
            throw new ArgumentException("1-RTT packets have a short header (first bit 0).", nameof(packet));
        packet[0] = (byte)((packet[0] & ~KeyPhaseBit) | (SendKeyPhase ? KeyPhaseBit : 0));
        PacketProtection.SealPayloadCore(_send, packet, headerLength, packetNumberOffset, packetNumberLength, packetNumber);
    }

    /// <summary>The send direction's header-protection key (the same for every key generation, RFC 9001 §6.1).</summary>
    internal HeaderProtection SendHeaderProtection => _sendHeader;

    /// <summary>
    /// Removes protection from a short-header packet in place, choosing keys by the Key Phase bit (RFC 9001 §6.3, §6.5):
    /// the current generation for the current phase; otherwise the previous generation for a packet number below those
    /// seen with the current keys, and the next generation for a higher one. A packet that authenticates with the next
    /// generation completes a key update: the generations move on, and if the peer initiated it this endpoint's send
    /// keys follow (RFC 9001 §6.2). Never throws for network input; false means drop the packet.
    /// </summary>
    /// <remarks>
    /// The next generation's receive keys are derived when the first packet that needs them arrives, before it is
    /// authenticated and whatever the outcome, and kept even when that packet is dropped (RFC 9001 §6.3: "MAY generate
    /// new keys as part of packet processing"; "SHOULD be retained, even if the packet ... was subsequently discarded").
    /// The cost is thus paid once per generation and never tells whether the Key Phase bit was valid (the §6.3 MUST);
    /// it does make the first packet of a new phase a few microseconds slower to process.
    /// </remarks>
    /// <param name="packet">Exactly one short-header packet (the rest of the datagram).</param>
    /// <param name="packetNumberOffset">1 + the Destination Connection ID length.</param>
    /// <param name="largestReceivedPacketNumber">The largest packet number successfully processed in the application data space, or -1 if none.</param>
    /// <param name="packetNumber">The full packet number.</param>
    /// <param name="headerLength">The unprotected header's length; the plaintext payload starts here.</param>
    /// <param name="payloadLength">The plaintext payload's length.</param>
    public bool TryOpen(Span<byte> packet, int packetNumberOffset, long largestReceivedPacketNumber,
        out long packetNumber, out int headerLength, out int payloadLength)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        packetNumber = 0;
        headerLength = 0;
        payloadLength = 0;
        if (!_canReceive || packet.IsEmpty || (packet[0] & 0x80) != 0) return false;
        if (!_receiveHeader.TryRemove(packet, packetNumberOffset, out int pnLength, out long truncated)) return false;
        headerLength = packetNumberOffset + pnLength;
        packetNumber = (long)PacketNumber.Decode(largestReceivedPacketNumber < 0 ? null : (ulong)largestReceivedPacketNumber, (ulong)truncated, pnLength);
        bool phase = (packet[0] & KeyPhaseBit) != 0;
        bool currentPhase = (_receiveCurrent.Generation & 1) != 0;

        PayloadProtection keys;
        if (phase == currentPhase) keys = _receiveCurrent;
        else if (packetNumber < _receiveCurrentLowestPacketNumber)
        {
            // RFC 9001 §6.5: an older packet of the previous phase, delayed or reordered.
            if (_receivePrevious is null) { DecryptionFailures++; return false; }
            keys = _receivePrevious;
        }
        else keys = _receiveNext ??= _receiveCurrent.DeriveNext();

        if (!PacketProtection.TryDecryptPayload(keys, packet, headerLength, packetNumber, out payloadLength))
        {
            DecryptionFailures++;
            return false;
        }

        if (keys == _receiveCurrent)
        {
            if (packetNumber < _receiveCurrentLowestPacketNumber) _receiveCurrentLowestPacketNumber = packetNumber;
        }
        else if (keys == _receiveNext)
        {
            CompleteReceiveKeyUpdate(packetNumber);
        }
        return true;
    }

    /// <summary>
    /// Discards the previous generation's receive keys; the connection calls this some time after a key update, for
    /// example three times the PTO (RFC 9001 §6.5). Packets of the old phase are then dropped.
    /// </summary>
    public void DiscardPreviousKeys()
    {
        _receivePrevious?.Dispose();
        _receivePrevious = null;
    }

    /// <summary>Releases every AEAD and header-protection object and clears key material.</summary>
    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        _send.Dispose();
        _sendHeader.Dispose();
        if (!_canReceive) return; // the receive slots alias the send objects
        _receivePrevious?.Dispose();
        _receiveCurrent.Dispose();
        _receiveNext?.Dispose();
        _receiveHeader.Dispose();
    }

    // The generations move on by one: previous <- current <- next; the following next is derived on first need.
    private void CompleteReceiveKeyUpdate(long packetNumber)
    {
        _receivePrevious?.Dispose();
        _receivePrevious = _receiveCurrent;
        _receiveCurrent = _receiveNext!;
        _receiveNext = null;
        _receiveCurrentLowestPacketNumber = packetNumber;
        // RFC 9001 §6.2: a peer-initiated update; answer it by updating the send keys too.
        while (_send.Generation < _receiveCurrent.Generation)
        {
            var old = _send;
            _send = old.DeriveNext();
            old.Dispose();
        }
    }

    // For tests: moves the send keys on even while an update is pending (a peer that updates twice, RFC 9001 §6.2).
    internal void ForceKeyUpdateForTesting()
    {
        var old = _send;
        _send = old.DeriveNext();
        old.Dispose();
    }

    // For tests: the receive keys of the current generation.
    internal PayloadProtection ReceiveCurrent => _receiveCurrent;

    // For tests: whether the next receive generation was derived yet.
    internal bool HasNextReceiveKeys => _receiveNext is not null;

    // For tests: the send keys of the current generation.
    internal PayloadProtection Send => _send;
}
