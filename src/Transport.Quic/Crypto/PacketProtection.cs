using System.Security.Cryptography;
using Transport.Quic.Packets;

namespace Transport.Quic.Crypto;

/// <summary>
/// Packet protection for one direction at one encryption level (RFC 9001 §5): the AEAD key and IV for the payload and
/// the header-protection key, all derived from one traffic secret. It works in place on the raw bytes of one QUIC
/// packet, given the offset of its Packet Number field. Use one instance per direction and level (Initial, 0-RTT,
/// Handshake); 1-RTT, which has key updates, uses <see cref="OneRttKeys"/>.
/// </summary>
/// <remarks>Not thread-safe. Sealing and opening allocate nothing.</remarks>
public sealed class PacketProtection : IDisposable
{
    /// <summary>The length of the AEAD authentication tag that follows the payload (RFC 9001 §5.3).</summary>
    public const int TagLength = KeySchedule.TagLength;

    /// <summary>The length of the ciphertext sample for header protection (RFC 9001 §5.4.2).</summary>
    public const int SampleLength = HeaderProtection.SampleLength;

    private readonly PayloadProtection _payload;
    private readonly HeaderProtection _header;
    private bool _disposed;

    private PacketProtection(PayloadProtection payload, HeaderProtection header)
    {
        _payload = payload;
        _header = header;
    }

    /// <summary>
    /// Derives key, IV and header-protection key from a traffic secret (RFC 9001 §5.1): HKDF-Expand-Label with "quic key",
    /// "quic iv" and "quic hp" (the "quicv2" labels for QUIC v2, RFC 9369 §3.3.2).
    /// </summary>
    /// <param name="suite">The negotiated cipher suite (Initial packets always use <see cref="CipherSuite.Aes128GcmSha256"/>).</param>
    /// <param name="secret">The traffic secret, Hash.length bytes (32 for the SHA-256 suites, 48 for SHA-384).</param>
    /// <param name="version">The QUIC version: 0x00000001 (v1, default) or 0x6b3343cf (v2).</param>
    /// <exception cref="ArgumentException">Unknown suite or version, or a secret of the wrong length.</exception>
    public static PacketProtection Create(CipherSuite suite, ReadOnlySpan<byte> secret, uint version = QuicVersionParameters.Version1)
    {
        var parameters = QuicVersionParameters.Get(version);
        KeySchedule.ValidateSecret(suite, secret, nameof(secret));
        Span<byte> hp = stackalloc byte[KeySchedule.MaxKeyLength];
        hp = hp.Slice(0, KeySchedule.KeyLength(suite));
        KeySchedule.DeriveHeaderProtectionKey(suite, parameters, secret, hp);
        var header = HeaderProtection.Create(suite, hp);
        CryptographicOperations.ZeroMemory(hp);
        return new PacketProtection(PayloadProtection.Create(suite, parameters, secret), header);
    }

    /// <summary>The cipher suite these keys belong to.</summary>
    public CipherSuite CipherSuite => _payload.CipherSuite;

    /// <summary>The QUIC version whose labels derived these keys.</summary>
    public uint Version => _payload.Version.Version;

    /// <summary>How many packets were sealed with this key, to compare with <see cref="AeadLimits.ConfidentialityLimit"/>.</summary>
    public long EncryptedPackets => _payload.EncryptedPackets;

    /// <summary>How many packets failed authentication with this key, to compare with <see cref="AeadLimits.IntegrityLimit"/>.</summary>
    public long DecryptionFailures { get; private set; }

    internal PayloadProtection Payload => _payload;

    /// <summary>
    /// The fewest payload bytes (frames, before the tag) a packet with a <paramref name="packetNumberLength"/>-byte
    /// packet number needs so that the header-protection sample fits: the packet number and payload together are at
    /// least 4 bytes (RFC 9001 §5.4.2). Pad with PADDING frames up to this.
    /// </summary>
    public static int MinimumPayloadLength(int packetNumberLength) =>
        packetNumberLength is >= 1 and <= 4
            ? HeaderProtection.SampleOffsetFromPacketNumber - packetNumberLength
            : throw new ArgumentOutOfRangeException(nameof(packetNumberLength), packetNumberLength, "A packet number is 1 to 4 bytes.");

    /// <summary>
    /// Protects one packet in place (RFC 9001 §5.3, §5.4): writes the truncated packet number, encrypts the payload with
    /// the header as associated data, writes the tag, then applies header protection.
    /// </summary>
    /// <param name="packet">
    /// Exactly one packet: the unprotected header (<paramref name="headerLength"/> bytes, ending with the Packet Number
    /// field), the plaintext payload, and <see cref="TagLength"/> bytes of room for the tag at the end. For long headers
    /// the Length field must already count the packet number, payload and tag.
    /// </param>
    /// <param name="headerLength">Bytes of header, which is <paramref name="packetNumberOffset"/> + <paramref name="packetNumberLength"/>.</param>
    /// <param name="packetNumberOffset">Offset of the Packet Number field.</param>
    /// <param name="packetNumberLength">1 to 4; the two low bits of the first byte must say the same.</param>
    /// <param name="packetNumber">The full packet number, 0 to 2^62-1; its low bytes are written into the header.</param>
    /// <returns>The length of the protected packet, <c>packet.Length</c>.</returns>
    /// <exception cref="ArgumentException">The layout is inconsistent or the payload too short for the sample.</exception>
    public int Seal(Span<byte> packet, int headerLength, int packetNumberOffset, int packetNumberLength, long packetNumber)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        return SealCore(_payload, _header, packet, headerLength, packetNumberOffset, packetNumberLength, packetNumber);
    }

    /// <summary>
    /// Removes protection from one packet in place (RFC 9001 §5.4, §5.3): removes header protection, reconstructs the
    /// packet number (RFC 9000 Appendix A.3), and authenticates and decrypts the payload. Never throws for bad input
    /// from the network: a packet that is too short or fails authentication returns false (and must be dropped; its
    /// header and payload bytes are then unspecified, but the last 16 bytes, where a stateless reset token would be,
    /// are untouched).
    /// </summary>
    /// <param name="packet">Exactly one packet (for a long header, up to the end given by its Length field).</param>
    /// <param name="packetNumberOffset">Offset of the Packet Number field, from the parsed header.</param>
    /// <param name="largestReceivedPacketNumber">The largest packet number successfully processed in this packet number space, or -1 if none.</param>
    /// <param name="packetNumber">The full packet number.</param>
    /// <param name="headerLength">The unprotected header's length; the plaintext payload starts here.</param>
    /// <param name="payloadLength">The plaintext payload's length (the packet less header and tag).</param>
    /// <returns>True when the packet was authentic and is now decrypted in place.</returns>
    public bool TryOpen(Span<byte> packet, int packetNumberOffset, long largestReceivedPacketNumber,
        out long packetNumber, out int headerLength, out int payloadLength)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        packetNumber = 0;
        headerLength = 0;
        payloadLength = 0;
        if (!_header.TryRemove(packet, packetNumberOffset, out int pnLength, out long truncated)) return false;
        headerLength = packetNumberOffset + pnLength;
        packetNumber = (long)PacketNumber.Decode(largestReceivedPacketNumber < 0 ? null : (ulong)largestReceivedPacketNumber, (ulong)truncated, pnLength);
        if (!TryDecryptPayload(_payload, packet, headerLength, packetNumber, out payloadLength))
        {
            DecryptionFailures++;
            return false;
        }
        return true;
    }

    /// <summary>Releases the AEAD and AES objects and clears the key material.</summary>
    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        _payload.Dispose();
        _header.Dispose();
    }

    internal static int SealCore(PayloadProtection payload, HeaderProtection header, Span<byte> packet,
        int headerLength, int packetNumberOffset, int packetNumberLength, long packetNumber)
    {
        SealPayloadCore(payload, packet, headerLength, packetNumberOffset, packetNumberLength, packetNumber);
        header.Apply(packet, packetNumberOffset, packetNumberLength);
        return packet.Length;
    }

    /// <summary><see cref="SealCore"/> without the header protection, which the caller applies later (batched).</summary>
    internal static void SealPayloadCore(PayloadProtection payload, Span<byte> packet,
        int headerLength, int packetNumberOffset, int packetNumberLength, long packetNumber)
    {
        ValidateSeal(packet, headerLength, packetNumberOffset, packetNumberLength, packetNumber);
        // The truncated packet number: the low packetNumberLength bytes, big-endian (RFC 9000 §17.1).
        for (int i = 0; i < packetNumberLength; i++)
            packet[packetNumberOffset + i] = (byte)(packetNumber >> (8 * (packetNumberLength - 1 - i)));
        int payloadEnd = packet.Length - TagLength;
        payload.Encrypt(packetNumber, packet.Slice(0, headerLength), packet.Slice(headerLength, payloadEnd - headerLength), packet.Slice(payloadEnd));
    }

    internal static bool TryDecryptPayload(PayloadProtection payload, Span<byte> packet, int headerLength, long packetNumber, out int payloadLength)
    {
        // HeaderProtection.TryRemove guaranteed pn_offset + 20 <= length, so header + tag always fit (pn_length <= 4).
        int payloadEnd = packet.Length - TagLength;
        payloadLength = payloadEnd - headerLength;
        return payload.TryDecrypt(packetNumber, packet.Slice(0, headerLength), packet.Slice(headerLength, payloadLength), packet.Slice(payloadEnd));
    }

    private static void ValidateSeal(Span<byte> packet, int headerLength, int packetNumberOffset, int packetNumberLength, long packetNumber)
    {
        if (packetNumberLength is < 1 or > 4)
            throw new ArgumentOutOfRangeException(nameof(packetNumberLength), packetNumberLength, "A packet number is 1 to 4 bytes.");
        if (packetNumberOffset < 1)
            throw new ArgumentOutOfRangeException(nameof(packetNumberOffset), packetNumberOffset, "The Packet Number field starts after the first byte.");
        if (headerLength != packetNumberOffset + packetNumberLength)
            throw new ArgumentException($"The header ends with the packet number: headerLength {headerLength} must be packetNumberOffset {packetNumberOffset} + packetNumberLength {packetNumberLength}.", nameof(headerLength));
        if ((ulong)packetNumber > PacketNumber.MaxValue)
            throw new ArgumentOutOfRangeException(nameof(packetNumber), packetNumber, "A packet number is 0 to 2^62-1.");
        if (packet.Length < headerLength + TagLength)
            throw new ArgumentException($"The packet ({packet.Length} bytes) has no room for the header ({headerLength}) and the {TagLength}-byte tag.", nameof(packet));
        if (packet.Length < packetNumberOffset + HeaderProtection.SampleOffsetFromPacketNumber + SampleLength)
            throw new ArgumentException(
                $"The payload is too short for the header-protection sample: packet number plus payload must be at least 4 bytes (RFC 9001 §5.4.2); pad with at least {MinimumPayloadLength(packetNumberLength)} payload bytes.",
                nameof(packet));
        if ((packet[0] & 0x03) + 1 != packetNumberLength)
            throw new ArgumentException($"The first byte's Packet Number Length bits say {(packet[0] & 0x03) + 1} bytes, not {packetNumberLength}.", nameof(packet));
    }
}
