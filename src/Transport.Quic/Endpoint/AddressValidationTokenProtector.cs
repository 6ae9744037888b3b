using System.Buffers.Binary;
using System.Net;
using System.Security.Cryptography;
using Transport.Core.Security;
using Transport.Core.Time;
using Transport.Core.Wire;

namespace Transport.Quic.Endpoint;

/// <summary>
/// Issues and checks address validation tokens, QUIC's SYN cookies (RFC 9000 §8.1.2-§8.1.4): Retry tokens (bound to
/// the client's IP address, the original Destination Connection ID, the Retry's Source Connection ID and the issue
/// time; short-lived) and NEW_TOKEN tokens (bound to the client's IP address and the issue time; long-lived; no
/// connection ID, so they cannot be linked to the connection that issued them, RFC 9000 §8.1.3). Stateless: all the
/// server needs later is inside the token.
/// </summary>
/// <remarks>
/// <para>Format (RFC 9000 §8.1.4 leaves it to the server): <c>kind (1) | key id (1) | IV (16) | AES-256-CTR ciphertext |
/// HMAC-SHA256 tag truncated to 16</c>, encrypt-then-MAC over everything before the tag (the IV is the first counter
/// block; a random 128-bit IV and five blocks per token make counter reuse across tokens negligible). The kind byte stays readable
/// so the two kinds are told apart before any cryptography, but it is authenticated. The plaintext has a fixed size per
/// kind (80 bytes for Retry, 32 for NEW_TOKEN), so every token of a kind has the same length (114 and 66 bytes) and a
/// token's length reveals nothing. A random IV makes two tokens for the same client unlinkable. Encrypt-then-MAC rather
/// than AES-GCM because a forged token must be rejected without an exception (AesGcm reports a bad tag by throwing):
/// the tag is checked first, in constant time, and only authentic tokens are decrypted. CTR is built on a cached AES-ECB
/// transform because the one-shot CBC/ECB methods allocate a native context per call.</para>
/// <para>Binding: the client's IP address, not its port. RFC 9000 §8.1.3 and §8.1.4 speak of the client's address, and
/// NAT rebinding commonly changes the port (between connections for NEW_TOKEN tokens, and occasionally even within
/// the Retry round trip), while the address is what proves the client is not spoofing. IPv4 and IPv4-mapped IPv6
/// forms of one address are the same address, so a dual-mode socket and an IPv4 socket agree.</para>
/// <para>Time: instants from the caller's clock. Tokens dated later than now (beyond <see cref="ClockSkewTolerance"/>)
/// are <see cref="AddressValidationTokenStatus.Expired"/>: they come from another timeline. To honour NEW_TOKEN
/// tokens across restarts or across servers, persist and share the keys, and pass instants from a wall clock
/// (e.g. <c>Instant.FromTicks(DateTime.UtcNow.Ticks)</c>), since <c>SystemClock</c> restarts with the process.</para>
/// <para>Keys: a 32-byte master key per key id; encryption and MAC keys are derived from it with HKDF-SHA256.
/// <see cref="RotateKey(ReadOnlySpan{byte})"/> makes a new key current and keeps the previous one for checking only,
/// so tokens issued just before a rotation stay valid; tokens under older keys become <see cref="AddressValidationTokenStatus.Forged"/>.
/// Rotate at most about once per NEW_TOKEN lifetime to honour every token for its whole lifetime.</para>
/// <para>Thread-safe. Never throws for token bytes from the network; allocates nothing per call.</para>
/// </remarks>
public sealed class AddressValidationTokenProtector : IDisposable
{
    /// <summary>The length of a master key.</summary>
    public const int KeyLength = 32;

    /// <summary>The length of every Retry token this protector issues.</summary>
    public const int RetryTokenLength = HeaderLength + RetryPlaintextLength + TagLength;

    /// <summary>The length of every NEW_TOKEN token this protector issues.</summary>
    public const int NewTokenLength = HeaderLength + NewTokenPlaintextLength + TagLength;

    /// <summary>The default lifetime of a Retry token: long enough for one round trip with slack (RFC 9000 §8.1.4).</summary>
    public static readonly TimeSpan DefaultRetryTokenLifetime = TimeSpan.FromSeconds(10);

    /// <summary>The default lifetime of a NEW_TOKEN token.</summary>
    public static readonly TimeSpan DefaultNewTokenLifetime = TimeSpan.FromHours(24);

    private const int IvLength = 16;
    private const int HeaderLength = 2 + IvLength;
    private const int TagLength = 16;
    // Retry: issued (8) | address (16) | ODCID length (1) | ODCID (20) | SCID length (1) | SCID (20) | zeros (14).
    private const int RetryPlaintextLength = 80;
    // NEW_TOKEN: issued (8) | address (16) | zeros (8).
    private const int NewTokenPlaintextLength = 32;
    private const int AddressOffset = 8;
    private const int OdcidOffset = AddressOffset + RemoteAddressKey.AddressLength;
    private const int ScidOffset = OdcidOffset + 1 + ConnectionId.MaxLength;
    private const int RetryPaddingOffset = ScidOffset + 1 + ConnectionId.MaxLength;
    private const int NewTokenPaddingOffset = OdcidOffset;

    private static ReadOnlySpan<byte> EncryptionLabel => "quic address validation token aes"u8;
    private static ReadOnlySpan<byte> MacLabel => "quic address validation token hmac"u8;

    private readonly object _gate = new();
    private KeySlot _current;
    private KeySlot? _previous;
    private bool _disposed;

    /// <summary>A protector with a fresh random key (tokens do not survive the process).</summary>
    public AddressValidationTokenProtector()
        : this(RandomNumberGenerator.GetBytes(KeyLength), DefaultRetryTokenLifetime, DefaultNewTokenLifetime, TimeSpan.Zero)
    {
    }

    /// <summary>A protector with the given master key and lifetimes.</summary>
    /// <param name="key">The 32-byte master key (keep it secret; share it between servers that must honour each other's tokens).</param>
    /// <param name="retryTokenLifetime">How long a Retry token is honoured (e.g. 10 s).</param>
    /// <param name="newTokenLifetime">How long a NEW_TOKEN token is honoured (e.g. 24 h).</param>
    /// <param name="clockSkewTolerance">How far in the future an issue time may lie (zero for one process's monotonic clock).</param>
    /// <exception cref="ArgumentException">A key not 32 bytes, a lifetime not positive, or a negative tolerance.</exception>
    public AddressValidationTokenProtector(ReadOnlySpan<byte> key, TimeSpan retryTokenLifetime, TimeSpan newTokenLifetime, TimeSpan clockSkewTolerance)
    {
        if (retryTokenLifetime <= TimeSpan.Zero)
            throw new ArgumentOutOfRangeException(nameof(retryTokenLifetime), retryTokenLifetime, "A token lifetime must be positive.");
        if (newTokenLifetime <= TimeSpan.Zero)
            throw new ArgumentOutOfRangeException(nameof(newTokenLifetime), newTokenLifetime, "A token lifetime must be positive.");
        if (clockSkewTolerance < TimeSpan.Zero)
            throw new ArgumentOutOfRangeException(nameof(clockSkewTolerance), clockSkewTolerance, "The clock skew tolerance cannot be negative.");
        RetryTokenLifetime = retryTokenLifetime;
        NewTokenLifetime = newTokenLifetime;
        ClockSkewTolerance = clockSkewTolerance;
        _current = new KeySlot(0, key);
    }

    /// <summary>How long a Retry token is honoured after it was issued.</summary>
    public TimeSpan RetryTokenLifetime { get; }

    /// <summary>How long a NEW_TOKEN token is honoured after it was issued.</summary>
    public TimeSpan NewTokenLifetime { get; }

    /// <summary>How far in the future a token's issue time may lie and still count.</summary>
    public TimeSpan ClockSkewTolerance { get; }

    /// <summary>The id of the key new tokens are issued under (it increases by one, modulo 256, per rotation).</summary>
    public byte CurrentKeyId
    {
        get { lock (_gate) return _current.Id; }
    }

    /// <summary>
    /// Makes <paramref name="key"/> the key for new tokens; the current key is kept for checking tokens issued under
    /// it, and the one before is forgotten.
    /// </summary>
    /// <exception cref="ArgumentException">A key not 32 bytes.</exception>
    public void RotateKey(ReadOnlySpan<byte> key)
    {
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            var next = new KeySlot(unchecked((byte)(_current.Id + 1)), key);
            _previous?.Dispose();
            _previous = _current;
            _current = next;
        }
    }

    /// <summary>Rotates to a fresh random key (see <see cref="RotateKey(ReadOnlySpan{byte})"/>).</summary>
    public void RotateKey()
    {
        Span<byte> key = stackalloc byte[KeyLength];
        RandomNumberGenerator.Fill(key);
        RotateKey(key);
        CryptographicOperations.ZeroMemory(key);
    }

    /// <summary>
    /// Writes a Retry token (exactly <see cref="RetryTokenLength"/> bytes) for a client at <paramref name="clientAddress"/>
    /// whose first Initial had Destination Connection ID <paramref name="originalDestinationConnectionId"/>, answered
    /// by a Retry with Source Connection ID <paramref name="retrySourceConnectionId"/>. False when the destination is too short.
    /// </summary>
    /// <exception cref="ArgumentException">A connection ID over 20 bytes or an address that is not IPv4/IPv6.</exception>
    public bool TryWriteRetryToken(Span<byte> destination, Instant now, IPAddress clientAddress,
        ReadOnlySpan<byte> originalDestinationConnectionId, ReadOnlySpan<byte> retrySourceConnectionId, out int bytesWritten)
    {
        ArgumentNullException.ThrowIfNull(clientAddress);
        Span<byte> address = stackalloc byte[RemoteAddressKey.AddressLength];
        RemoteAddressKey.WriteAddress(clientAddress, address);
        return TryWriteRetryToken(destination, now, address, originalDestinationConnectionId, retrySourceConnectionId, out bytesWritten);
    }

    /// <summary>As <see cref="TryWriteRetryToken(Span{byte}, Instant, IPAddress, ReadOnlySpan{byte}, ReadOnlySpan{byte}, out int)"/>, for a socket address from the UDP driver (its port is ignored).</summary>
    /// <exception cref="ArgumentException">A connection ID over 20 bytes or an address that is not IPv4/IPv6.</exception>
    public bool TryWriteRetryToken(Span<byte> destination, Instant now, System.Net.SocketAddress clientAddress,
        ReadOnlySpan<byte> originalDestinationConnectionId, ReadOnlySpan<byte> retrySourceConnectionId, out int bytesWritten)
    {
        RemoteAddressKey key = RemoteAddressKey.From(clientAddress);
        return TryWriteRetryToken(destination, now, key.Address, originalDestinationConnectionId, retrySourceConnectionId, out bytesWritten);
    }

    /// <summary>
    /// Writes a NEW_TOKEN token (exactly <see cref="NewTokenLength"/> bytes) for a client at <paramref name="clientAddress"/>,
    /// to be sent in a NEW_TOKEN frame once the handshake is confirmed (RFC 9000 §8.1.3). False when the destination is too short.
    /// </summary>
    /// <exception cref="ArgumentException">An address that is not IPv4/IPv6.</exception>
    public bool TryWriteNewToken(Span<byte> destination, Instant now, IPAddress clientAddress, out int bytesWritten)
    {
        ArgumentNullException.ThrowIfNull(clientAddress);
        Span<byte> address = stackalloc byte[RemoteAddressKey.AddressLength];
        RemoteAddressKey.WriteAddress(clientAddress, address);
        return TryWriteNewToken(destination, now, address, out bytesWritten);
    }

    /// <summary>As <see cref="TryWriteNewToken(Span{byte}, Instant, IPAddress, out int)"/>, for a socket address from the UDP driver (its port is ignored).</summary>
    /// <exception cref="ArgumentException">An address that is not IPv4/IPv6.</exception>
    public bool TryWriteNewToken(Span<byte> destination, Instant now, System.Net.SocketAddress clientAddress, out int bytesWritten)
    {
        RemoteAddressKey key = RemoteAddressKey.From(clientAddress);
        return TryWriteNewToken(destination, now, key.Address, out bytesWritten);
    }

    /// <summary>
    /// Checks the token of a client Initial received from <paramref name="clientAddress"/>. An empty token is
    /// <see cref="AddressValidationTokenStatus.Missing"/>. With <paramref name="expectedKind"/> other than None, an
    /// authentic token of the other kind is <see cref="AddressValidationTokenStatus.WrongKind"/>. Never throws for the token.
    /// </summary>
    /// <exception cref="ArgumentException">An address that is not IPv4/IPv6.</exception>
    public AddressValidationTokenResult Validate(ReadOnlySpan<byte> token, Instant now, IPAddress clientAddress,
        AddressValidationTokenKind expectedKind = AddressValidationTokenKind.None)
    {
        ArgumentNullException.ThrowIfNull(clientAddress);
        Span<byte> address = stackalloc byte[RemoteAddressKey.AddressLength];
        RemoteAddressKey.WriteAddress(clientAddress, address);
        return Validate(token, now, address, expectedKind);
    }

    /// <summary>As <see cref="Validate(ReadOnlySpan{byte}, Instant, IPAddress, AddressValidationTokenKind)"/>, for a socket address from the UDP driver (its port is ignored).</summary>
    /// <exception cref="ArgumentException">An address that is not IPv4/IPv6.</exception>
    public AddressValidationTokenResult Validate(ReadOnlySpan<byte> token, Instant now, System.Net.SocketAddress clientAddress,
        AddressValidationTokenKind expectedKind = AddressValidationTokenKind.None)
    {
        RemoteAddressKey key = RemoteAddressKey.From(clientAddress);
        return Validate(token, now, key.Address, expectedKind);
    }

    /// <summary>Releases the keys.</summary>
    public void Dispose()
    {
        lock (_gate)
        {
            if (_disposed) return;
            _disposed = true;
            _current.Dispose();
            _previous?.Dispose();
        }
    }

    private bool TryWriteRetryToken(Span<byte> destination, Instant now, ReadOnlySpan<byte> address16,
        ReadOnlySpan<byte> odcid, ReadOnlySpan<byte> retryScid, out int bytesWritten)
    {
        if (odcid.Length > ConnectionId.MaxLength)
            throw new ArgumentException($"A connection ID is at most {ConnectionId.MaxLength} bytes; got {odcid.Length}.", nameof(odcid));
        if (retryScid.Length > ConnectionId.MaxLength)
            throw new ArgumentException($"A connection ID is at most {ConnectionId.MaxLength} bytes; got {retryScid.Length}.", nameof(retryScid));
        bytesWritten = 0;
        if (destination.Length < RetryTokenLength) return false;
        Span<byte> plaintext = stackalloc byte[RetryPlaintextLength];
        plaintext.Clear();
        WriteCommon(plaintext, now, address16);
        plaintext[OdcidOffset] = (byte)odcid.Length;
        odcid.CopyTo(plaintext.Slice(OdcidOffset + 1));
        plaintext[ScidOffset] = (byte)retryScid.Length;
        retryScid.CopyTo(plaintext.Slice(ScidOffset + 1));
        Seal(destination.Slice(0, RetryTokenLength), AddressValidationTokenKind.Retry, plaintext);
        CryptographicOperations.ZeroMemory(plaintext);
        bytesWritten = RetryTokenLength;
        return true;
    }

    private bool TryWriteNewToken(Span<byte> destination, Instant now, ReadOnlySpan<byte> address16, out int bytesWritten)
    {
        bytesWritten = 0;
        if (destination.Length < NewTokenLength) return false;
        Span<byte> plaintext = stackalloc byte[NewTokenPlaintextLength];
        plaintext.Clear();
        WriteCommon(plaintext, now, address16);
        Seal(destination.Slice(0, NewTokenLength), AddressValidationTokenKind.NewToken, plaintext);
        CryptographicOperations.ZeroMemory(plaintext);
        bytesWritten = NewTokenLength;
        return true;
    }

    private static void WriteCommon(Span<byte> plaintext, Instant now, ReadOnlySpan<byte> address16)
    {
        BinaryPrimitives.WriteInt64BigEndian(plaintext, now.Ticks);
        address16.CopyTo(plaintext.Slice(AddressOffset, RemoteAddressKey.AddressLength));
    }

    private void Seal(Span<byte> token, AddressValidationTokenKind kind, ReadOnlySpan<byte> plaintext)
    {
        Span<byte> iv = token.Slice(2, IvLength);
        SecureRandom.Fill(iv); // per token: the buffered CSPRNG (Transport.Core.Security)
        token[0] = (byte)kind;
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            token[1] = _current.Id;
            _current.Ctr(iv, plaintext, token.Slice(HeaderLength, plaintext.Length));
            _current.ComputeTag(token.Slice(0, token.Length - TagLength), token.Slice(token.Length - TagLength));
        }
    }

    private AddressValidationTokenResult Validate(ReadOnlySpan<byte> token, Instant now, ReadOnlySpan<byte> address16,
        AddressValidationTokenKind expectedKind)
    {
        if (token.IsEmpty) return new AddressValidationTokenResult(AddressValidationTokenStatus.Missing);
        var kind = (AddressValidationTokenKind)token[0];
        int plaintextLength;
        switch (kind)
        {
            case AddressValidationTokenKind.Retry when token.Length == RetryTokenLength:
                plaintextLength = RetryPlaintextLength;
                break;
            case AddressValidationTokenKind.NewToken when token.Length == NewTokenLength:
                plaintextLength = NewTokenPlaintextLength;
                break;
            default:
                return new AddressValidationTokenResult(AddressValidationTokenStatus.Malformed);
        }

        Span<byte> plaintext = stackalloc byte[RetryPlaintextLength];
        plaintext = plaintext.Slice(0, plaintextLength);
        lock (_gate)
        {
            if (_disposed) throw new ObjectDisposedException(nameof(AddressValidationTokenProtector));
            KeySlot? slot = token[1] == _current.Id ? _current : _previous is { } p && p.Id == token[1] ? p : null;
            if (slot is null) return new AddressValidationTokenResult(AddressValidationTokenStatus.Forged);
            Span<byte> tag = stackalloc byte[TagLength];
            slot.ComputeTag(token.Slice(0, token.Length - TagLength), tag);
            if (!CryptographicOperations.FixedTimeEquals(tag, token.Slice(token.Length - TagLength)))
                return new AddressValidationTokenResult(AddressValidationTokenStatus.Forged);
            slot.Ctr(token.Slice(2, IvLength), token.Slice(HeaderLength, plaintextLength), plaintext);
        }

        // Authentic from here on: the layout was written by this server, but check it anyway.
        var issuedAt = Instant.FromTicks(Math.Max(0, BinaryPrimitives.ReadInt64BigEndian(plaintext)));
        ConnectionId odcid = default, scid = default;
        if (kind == AddressValidationTokenKind.Retry)
        {
            int odcidLength = plaintext[OdcidOffset], scidLength = plaintext[ScidOffset];
            if (odcidLength > ConnectionId.MaxLength || scidLength > ConnectionId.MaxLength || plaintext.Slice(RetryPaddingOffset).ContainsAnyExcept((byte)0))
                return new AddressValidationTokenResult(AddressValidationTokenStatus.Malformed);
            odcid = new ConnectionId(plaintext.Slice(OdcidOffset + 1, odcidLength));
            scid = new ConnectionId(plaintext.Slice(ScidOffset + 1, scidLength));
        }
        else if (plaintext.Slice(NewTokenPaddingOffset).ContainsAnyExcept((byte)0))
        {
            return new AddressValidationTokenResult(AddressValidationTokenStatus.Malformed);
        }

        AddressValidationTokenStatus status;
        TimeSpan lifetime = kind == AddressValidationTokenKind.Retry ? RetryTokenLifetime : NewTokenLifetime;
        if (expectedKind != AddressValidationTokenKind.None && expectedKind != kind)
            status = AddressValidationTokenStatus.WrongKind;
        else if (issuedAt - now > ClockSkewTolerance || now - issuedAt > lifetime)
            status = AddressValidationTokenStatus.Expired;
        else if (!CryptographicOperations.FixedTimeEquals(plaintext.Slice(AddressOffset, RemoteAddressKey.AddressLength), address16))
            status = AddressValidationTokenStatus.WrongAddress;
        else
            status = AddressValidationTokenStatus.Valid;
        CryptographicOperations.ZeroMemory(plaintext);
        return new AddressValidationTokenResult(status, kind, issuedAt, odcid, scid);
    }

    private sealed class KeySlot : IDisposable
    {
        private readonly byte[] _macKey = new byte[32];
        private readonly Aes _aes;
        private readonly ICryptoTransform _ecb;
        private readonly byte[] _counters = new byte[RetryPlaintextLength];
        private readonly byte[] _keystream = new byte[RetryPlaintextLength];

        public KeySlot(byte id, ReadOnlySpan<byte> masterKey)
        {
            if (masterKey.Length != KeyLength)
                throw new ArgumentException($"An address validation token key is {KeyLength} bytes; got {masterKey.Length}.", nameof(masterKey));
            Id = id;
            Span<byte> encryptionKey = stackalloc byte[32];
            HKDF.DeriveKey(HashAlgorithmName.SHA256, masterKey, encryptionKey, ReadOnlySpan<byte>.Empty, EncryptionLabel);
            HKDF.DeriveKey(HashAlgorithmName.SHA256, masterKey, _macKey, ReadOnlySpan<byte>.Empty, MacLabel);
            _aes = Aes.Create();
            byte[] keyCopy = encryptionKey.ToArray();
            _aes.Key = keyCopy;
            _aes.Mode = CipherMode.ECB;
            _aes.Padding = PaddingMode.None;
            _ecb = _aes.CreateEncryptor();
            CryptographicOperations.ZeroMemory(keyCopy);
            CryptographicOperations.ZeroMemory(encryptionKey);
        }

        public byte Id { get; }

        /// <summary>AES-CTR with <paramref name="iv"/> as the first counter block (big-endian increment); encrypts and decrypts.</summary>
        public void Ctr(ReadOnlySpan<byte> iv, ReadOnlySpan<byte> input, Span<byte> output)
        {
            int blocks = input.Length / IvLength; // the plaintexts are whole blocks
            Span<byte> counter = stackalloc byte[IvLength];
            iv.CopyTo(counter);
            for (int b = 0; b < blocks; b++)
            {
                counter.CopyTo(_counters.AsSpan(b * IvLength));
                for (int i = IvLength - 1; i >= 0 && ++counter[i] == 0; i--) { }
            }
            _ecb.TransformBlock(_counters, 0, blocks * IvLength, _keystream, 0);
            for (int i = 0; i < input.Length; i++) output[i] = (byte)(input[i] ^ _keystream[i]);
            CryptographicOperations.ZeroMemory(_keystream);
        }

        public void ComputeTag(ReadOnlySpan<byte> data, Span<byte> tag16)
        {
            Span<byte> full = stackalloc byte[32];
            HMACSHA256.HashData(_macKey, data, full);
            full.Slice(0, TagLength).CopyTo(tag16);
        }

        public void Dispose()
        {
            _ecb.Dispose();
            _aes.Dispose();
            CryptographicOperations.ZeroMemory(_macKey);
        }
    }
}
