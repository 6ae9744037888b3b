using System.Net.Security;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace Transport.Quic.Tls;

/// <summary>
/// The sans-I/O TLS 1.3 handshake for QUIC (RFC 8446, RFC 9001 §4): no records, no sockets. The connection feeds
/// CRYPTO frame payloads in order per encryption level with <see cref="ProcessCryptoData"/> (any chunking: messages
/// may span calls, calls may hold many messages) and receives what to send, secrets and events through its
/// <see cref="ITlsHandshakeListener"/>. After a failure every call returns the same error.
/// </summary>
internal abstract class TlsHandshake : IDisposable
{
    private readonly byte[]?[] _inbound = new byte[4][];
    private readonly int[] _inboundLength = new int[4];
    private TlsResult _error;

    protected TlsHandshake(ITlsHandshakeListener listener, ReadOnlyMemory<byte> localTransportParameters, Action<string>? keyLog)
    {
        Listener = listener ?? throw new ArgumentNullException(nameof(listener));
        LocalTransportParameters = localTransportParameters.ToArray();
        KeyLog = keyLog;
    }

    protected ITlsHandshakeListener Listener { get; }

    protected byte[] LocalTransportParameters { get; private set; }

    /// <summary>
    /// Replaces the encoded transport parameters not yet sent (the server's, when compatible version negotiation changes
    /// its version_information before EncryptedExtensions, RFC 9368 §2.3).
    /// </summary>
    internal void ReplaceLocalTransportParameters(byte[] parameters) => LocalTransportParameters = parameters;

    protected Action<string>? KeyLog { get; }

    /// <summary>Every handshake message so far, for Transcript-Hash (RFC 8446 §4.4.1).</summary>
    protected TlsWriter Transcript { get; private set; } = new(4096);

    /// <summary>The key schedule, once the hash (and PSK) is known.</summary>
    protected TlsKeySchedule? Schedule { get; set; }

    protected byte[] ClientRandom { get; set; } = [];

    /// <summary>True on the server side.</summary>
    public abstract bool IsServer { get; }

    /// <summary>The negotiated cipher suite (valid once ServerHello is sent or received).</summary>
    public CipherSuite CipherSuite { get; protected set; }

    /// <summary>The negotiated key-exchange group.</summary>
    public TlsNamedGroup? NegotiatedGroup { get; protected set; }

    /// <summary>The negotiated ALPN protocol (default until EncryptedExtensions).</summary>
    public SslApplicationProtocol NegotiatedApplicationProtocol { get; protected set; }

    /// <summary>The peer's raw quic_transport_parameters, once received.</summary>
    public byte[]? PeerTransportParameters { get; protected set; }

    private TlsPeerCertificateInfo? _peerLeaf;
    private X509Certificate2? _peerCertificate;
    private List<X509Certificate2>? _peerIntermediates;
    private X509Certificate2Collection? _peerCertificates;

    /// <summary>
    /// The server's leaf certificate (client side; null on resumption or the server side). Made from the received bytes
    /// on first use (the handshake itself works from the shared <see cref="TlsPeerCertificateInfo"/>), then kept.
    /// </summary>
    public X509Certificate2? PeerCertificate =>
        _peerLeaf is null ? null : _peerCertificate ??= X509CertificateLoader.LoadCertificate(_peerLeaf.Der);

    /// <summary>All certificates the server sent, leaf first (client side; empty until the Certificate message).</summary>
    public X509Certificate2Collection PeerCertificates
    {
        get
        {
            if (_peerCertificates is not null) return _peerCertificates;
            var all = new X509Certificate2Collection();
            if (_peerLeaf is null) return all;
            all.Add(PeerCertificate!);
            foreach (X509Certificate2 c in _peerIntermediates!) all.Add(c);
            return _peerCertificates = all;
        }
    }

    /// <summary>The server's leaf as the shared parsed form (client side, from the Certificate message on).</summary>
    private protected TlsPeerCertificateInfo? PeerLeaf => _peerLeaf;

    /// <summary>
    /// Records the certificates the server sent: the leaf's shared parsed form, the leaf as an object when one was already
    /// made for this connection (else it is made on first use), and the parsed intermediates in order.
    /// </summary>
    private protected void SetPeerCertificates(TlsPeerCertificateInfo leaf, X509Certificate2? leafCertificate, List<X509Certificate2> intermediates)
    {
        _peerLeaf = leaf;
        _peerCertificate = leafCertificate;
        _peerIntermediates = intermediates;
        _peerCertificates = null;
    }

    /// <summary>True once the handshake completed (see <see cref="ITlsHandshakeListener.OnHandshakeComplete"/>).</summary>
    public bool IsHandshakeComplete { get; protected set; }

    /// <summary>True when the session was resumed with a PSK (no certificate exchanged).</summary>
    public bool IsResumed { get; protected set; }

    /// <summary>True when a HelloRetryRequest was sent or received.</summary>
    public bool HelloRetryRequested { get; protected set; }

    /// <summary>What became of 0-RTT.</summary>
    public TlsEarlyDataStatus EarlyDataStatus { get; protected set; }

    /// <summary>The error that ended the handshake, if any.</summary>
    public TlsResult Error => _error;

    /// <summary>
    /// Feeds CRYPTO bytes received at <paramref name="level"/> (contiguous, in order). Complete messages are
    /// processed at once; partial ones wait for more bytes. Returns the error that must close the connection, if any.
    /// </summary>
    public TlsResult ProcessCryptoData(EncryptionLevel level, ReadOnlySpan<byte> data)
    {
        if (_error.IsError) return _error;
        // RFC 9000 §17.2.3: 0-RTT packets carry no CRYPTO frames.
        if (level == EncryptionLevel.ZeroRtt)
        {
            Fail(new TlsAlertException(TlsAlert.UnexpectedMessage, "CRYPTO data at the 0-RTT level."));
            return _error;
        }
        if ((uint)level > (uint)EncryptionLevel.OneRtt) throw new ArgumentOutOfRangeException(nameof(level), level, "Not an encryption level.");
        Append((int)level, data);
        return Guard(() =>
        {
            while (TryTakeMessage((int)level, out byte[]? message))
            {
                HandleMessage(level, message[0], message);
            }
        });
    }

    /// <summary>Runs a step; turns alerts and unexpected exceptions into the sticky <see cref="Error"/>.</summary>
    protected TlsResult Guard(Action step)
    {
        try
        {
            step();
        }
        catch (AbortedException)
        {
            // _error holds what Abort set.
        }
        catch (TlsAlertException e)
        {
            Fail(e);
        }
        catch (CryptographicException e)
        {
            _error = TlsResult.FromAlert(TlsAlert.InternalError, "Cryptographic failure: " + e.Message);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            // Nothing the peer sends may escape as an exception; a local bug (here or in the listener) ends the
            // handshake with internal_error and says what happened.
            _error = TlsResult.FromAlert(TlsAlert.InternalError, $"{e.GetType().Name}: {e.Message}");
        }
        return _error;
    }

    /// <summary>
    /// Ends the handshake with an error the connection chose (for example TRANSPORT_PARAMETER_ERROR after decoding
    /// the peer's transport parameters in <see cref="ITlsHandshakeListener.OnPeerTransportParameters"/>). Called from
    /// inside a listener callback, nothing more is emitted once the callback returns, and the pending
    /// <see cref="ProcessCryptoData"/> or <see cref="TlsClientHandshake.Start"/> returns this error.
    /// </summary>
    public void Abort(TransportErrorCode code, string reason)
    {
        if (_error.IsError) return;
        ulong value = (ulong)code;
        TlsAlert alert = value is >= 0x100 and <= 0x1ff ? (TlsAlert)(value - 0x100) : TlsAlert.InternalError;
        _error = TlsResult.FromTransportError(code, alert, reason);
    }

    /// <summary>Stops processing when the listener called <see cref="Abort"/> during a callback.</summary>
    protected void ThrowIfAborted()
    {
        if (_error.IsError) throw new AbortedException();
    }

    private sealed class AbortedException : Exception;

    protected void NotifyPeerTransportParameters(byte[] parameters)
    {
        Listener.OnPeerTransportParameters(parameters);
        ThrowIfAborted();
    }

    protected void NotifyHandshakeComplete()
    {
        Listener.OnHandshakeComplete();
        ThrowIfAborted();
    }

    protected void NotifySessionTicket(TlsSessionTicket ticket)
    {
        Listener.OnSessionTicket(ticket);
        ThrowIfAborted();
    }

    /// <summary>Bytes received at <paramref name="level"/> that do not yet form a whole message.</summary>
    public int BufferedBytes(EncryptionLevel level) => _inboundLength[(int)level];

    public virtual void Dispose() { }

    /// <summary>Handles one whole handshake message (<paramref name="message"/> includes its 4-byte header).</summary>
    protected abstract void HandleMessage(EncryptionLevel level, byte type, byte[] message);

    protected void Fail(TlsAlertException e)
    {
        _error = e.TransportError is TransportErrorCode code
            ? TlsResult.FromTransportError(code, e.Alert, e.Message)
            : TlsResult.FromAlert(e.Alert, e.Message);
    }

    /// <summary>RFC 9001 §4.1.3: keys change only at message boundaries; bytes left at the old level are an error.</summary>
    protected void ExpectNoMoreData(EncryptionLevel level)
    {
        if (_inboundLength[(int)level] != 0)
            throw new TlsAlertException(TlsAlert.UnexpectedMessage, $"Handshake data at the {level} level follows the message that ends that level.");
    }

    /// <summary>
    /// The handshake is over (both Finished messages processed and every secret derived from the transcript): gives back
    /// what only the handshake needed, the transcript (4 KiB) and the Initial and Handshake reassembly buffers, so an
    /// idle connection does not keep them.
    /// </summary>
    protected void ReleaseHandshakeState()
    {
        Transcript = new TlsWriter(0);
        foreach (var level in (ReadOnlySpan<EncryptionLevel>)[EncryptionLevel.Initial, EncryptionLevel.Handshake])
        {
            if (_inboundLength[(int)level] == 0) _inbound[(int)level] = null;
        }
    }

    protected byte[] TranscriptHash() => TlsConstants.Hash(Schedule!.Hash, Transcript.WrittenSpan);

    protected void AddToTranscript(ReadOnlySpan<byte> message) => Transcript.WriteBytes(message);

    /// <summary>Replaces ClientHello1 in the transcript with message_hash = 254 || 00 00 Hash.length || Hash(ClientHello1) (RFC 8446 §4.4.1).</summary>
    protected void ReplaceTranscriptWithMessageHash(HashAlgorithmName hash)
    {
        byte[] ch1Hash = TlsConstants.Hash(hash, Transcript.WrittenSpan);
        Transcript.Clear();
        Transcript.WriteUInt8(TlsConstants.MessageHash);
        Transcript.WriteUInt24(ch1Hash.Length);
        Transcript.WriteBytes(ch1Hash);
    }

    /// <summary>Sends a whole handshake message at a level and adds it to the transcript.</summary>
    protected void Send(EncryptionLevel level, ReadOnlySpan<byte> message, bool addToTranscript = true)
    {
        if (addToTranscript) AddToTranscript(message);
        Listener.OnCryptoData(level, message);
        ThrowIfAborted();
    }

    protected void SetReadSecret(EncryptionLevel level, byte[] secret, string keyLogLabel)
    {
        TlsKeyLog.Write(KeyLog, keyLogLabel, ClientRandom, secret);
        Listener.OnReadSecret(level, CipherSuite, secret);
        ThrowIfAborted();
    }

    protected void SetWriteSecret(EncryptionLevel level, byte[] secret, string keyLogLabel)
    {
        TlsKeyLog.Write(KeyLog, keyLogLabel, ClientRandom, secret);
        Listener.OnWriteSecret(level, CipherSuite, secret);
        ThrowIfAborted();
    }

    /// <summary>Starts a handshake message: type and a 24-bit length to back-patch with <see cref="EndMessage"/>.</summary>
    protected static int BeginMessage(TlsWriter w, byte type)
    {
        w.WriteUInt8(type);
        return w.BeginLength(3);
    }

    protected static void EndMessage(TlsWriter w, int at) => w.EndLength(at, 3);

    protected static void WriteExtension(TlsWriter w, ushort type, ReadOnlySpan<byte> body)
    {
        w.WriteUInt16(type);
        w.WriteVector16(body);
    }

    /// <summary>Verify data for a Finished message (HMAC with a finished_key over the current transcript, RFC 8446 §4.4.4).</summary>
    protected byte[] FinishedVerifyData(byte[] finishedKey) => Schedule!.FinishedVerifyDataFromKey(finishedKey, TranscriptHash());

    /// <summary>Checks a received Finished message against <paramref name="finishedKey"/>; decrypt_error when it does not match.</summary>
    protected void VerifyFinished(byte[] message, byte[] finishedKey)
    {
        var r = new TlsReader(message.AsSpan(4));
        ReadOnlySpan<byte> verifyData = r.ReadBytes(r.Remaining);
        byte[] expected = FinishedVerifyData(finishedKey);
        if (verifyData.Length != expected.Length)
            throw new TlsAlertException(TlsAlert.DecodeError, "The Finished message has the wrong length.");
        if (!CryptographicOperations.FixedTimeEquals(verifyData, expected))
            throw new TlsAlertException(TlsAlert.DecryptError, "The peer's Finished does not verify.");
    }

    protected static TlsAlertException Unexpected(byte type, string state) =>
        new(TlsAlert.UnexpectedMessage, $"Handshake message type {type} is not expected {state}.");

    /// <summary>RFC 9001 §8.3 and §6: EndOfEarlyData and KeyUpdate never appear in QUIC.</summary>
    protected static void RejectForbiddenMessages(byte type)
    {
        if (type == TlsConstants.EndOfEarlyData)
            throw new TlsAlertException(TlsAlert.UnexpectedMessage, "EndOfEarlyData is not used in QUIC (RFC 9001 §8.3).") { TransportError = TransportErrorCode.ProtocolViolation };
        if (type == TlsConstants.KeyUpdate)
            throw new TlsAlertException(TlsAlert.UnexpectedMessage, "KeyUpdate is not used in QUIC (RFC 9001 §6).");
    }

    private void Append(int level, ReadOnlySpan<byte> data)
    {
        if (data.IsEmpty) return;
        byte[] buffer = _inbound[level] ??= new byte[Math.Max(256, data.Length)];
        int length = _inboundLength[level];
        if (length + data.Length > buffer.Length)
        {
            Array.Resize(ref _inbound[level], Math.Max(buffer.Length * 2, length + data.Length));
            buffer = _inbound[level]!;
        }
        data.CopyTo(buffer.AsSpan(length));
        _inboundLength[level] = length + data.Length;
    }

    private bool TryTakeMessage(int level, out byte[] message)
    {
        message = [];
        int length = _inboundLength[level];
        if (length < 4) return false;
        byte[] buffer = _inbound[level]!;
        int bodyLength = (buffer[1] << 16) | (buffer[2] << 8) | buffer[3];
        if (bodyLength > TlsConstants.MaxMessageSize)
        {
            throw new TlsAlertException(TlsAlert.InternalError,
                $"A handshake message of {bodyLength} bytes exceeds the limit of {TlsConstants.MaxMessageSize}.")
            { TransportError = TransportErrorCode.CryptoBufferExceeded };
        }
        if (length < 4 + bodyLength) return false;
        message = buffer.AsSpan(0, 4 + bodyLength).ToArray();
        buffer.AsSpan(4 + bodyLength, length - 4 - bodyLength).CopyTo(buffer);
        _inboundLength[level] = length - 4 - bodyLength;
        return true;
    }
}
