using System.Net.Security;
using System.Security.Cryptography;
using Transport.Core.Security;
using System.Security.Cryptography.X509Certificates;
using System.Text;

namespace Transport.Quic.Tls;

/// <summary>
/// The server side of the TLS 1.3 handshake for QUIC. Feed the client's CRYPTO data with
/// <see cref="TlsHandshake.ProcessCryptoData"/>: the ClientHello produces ServerHello (Initial), the server's flight
/// (Handshake) and the 1-RTT write secret at once; the client's Finished completes the handshake, gives the 1-RTT read
/// secret and (with ticket keys) a NewSessionTicket at the 1-RTT level.
/// </summary>
internal sealed class TlsServerHandshake : TlsHandshake
{
    private enum State { WaitClientHello, WaitSecondClientHello, WaitFinished, Connected }

    private readonly TlsServerOptions _options;
    private State _state = State.WaitClientHello;
    // finished_key of the client handshake traffic secret (RFC 8446 §4.4.4), to verify the client's Finished.
    private byte[]? _clientFinishedKey;
    private byte[]? _clientApplicationSecret;
    private TlsNamedGroup? _retryGroup;
    private bool _clientTakesTickets;
    private X509Certificate2? _certificate;

    /// <summary>A server handshake. <paramref name="localTransportParameters"/> is the encoded quic_transport_parameters body.</summary>
    /// <exception cref="ArgumentException">The options are incomplete or invalid.</exception>
    public TlsServerHandshake(TlsServerOptions options, ReadOnlyMemory<byte> localTransportParameters, ITlsHandshakeListener listener)
        : this(options, localTransportParameters, listener, options?.KeyLog)
    {
    }

    /// <summary>As the public constructor, with the key log given apart from the options (the connection's choice).</summary>
    internal TlsServerHandshake(TlsServerOptions options, ReadOnlyMemory<byte> localTransportParameters, ITlsHandshakeListener listener, Action<string>? keyLog)
        : base(listener, localTransportParameters, keyLog)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        _options = options;
    }

    /// <inheritdoc/>
    public override bool IsServer => true;

    /// <summary>The host name the client sent in server_name (SNI), or null.</summary>
    public string? ClientServerName { get; private set; }

    /// <summary>Opaque data to seal into tickets issued on this connection (for example the server's transport parameters); set before the handshake completes.</summary>
    public byte[]? TicketApplicationData { get; set; }

    /// <summary>The application data of the ticket this connection resumed, or null.</summary>
    public byte[]? ResumedTicketApplicationData { get; private set; }

    /// <inheritdoc/>
    protected override void HandleMessage(EncryptionLevel level, byte type, byte[] message)
    {
        RejectForbiddenMessages(type);
        switch (_state)
        {
            case State.WaitClientHello or State.WaitSecondClientHello when type == TlsConstants.ClientHello && level == EncryptionLevel.Initial:
                HandleClientHello(message);
                break;
            case State.WaitFinished when type == TlsConstants.Finished && level == EncryptionLevel.Handshake:
                HandleFinished(message);
                break;
            default:
                throw Unexpected(type, $"at the {level} level in state {_state}");
        }
    }

    private void HandleClientHello(byte[] message)
    {
        bool second = _state == State.WaitSecondClientHello;
        var r = new TlsReader(message.AsSpan(4));
        ushort legacyVersion = r.ReadUInt16();
        ReadOnlySpan<byte> random = r.ReadBytes(32);
        ReadOnlySpan<byte> sessionId = r.ReadVector8();
        ReadOnlySpan<byte> suitesBody = r.ReadVector16(2);
        ReadOnlySpan<byte> compression = r.ReadVector8(1);
        TlsExtensions ext = TlsExtensions.Parse(r.ReadVector16());
        r.ExpectEnd("ClientHello");

        if (sessionId.Length > 32) throw new TlsAlertException(TlsAlert.DecodeError, "legacy_session_id is longer than 32 bytes.");
        // RFC 9001 §8.4: a non-empty legacy_session_id is a PROTOCOL_VIOLATION.
        if (!sessionId.IsEmpty && _options.EnforceQuicRules)
            throw new TlsAlertException(TlsAlert.IllegalParameter, "The ClientHello has a legacy_session_id (middlebox compatibility mode is not used in QUIC).") { TransportError = TransportErrorCode.ProtocolViolation };
        if (compression.Length != 1 || compression[0] != 0)
            throw new TlsAlertException(TlsAlert.IllegalParameter, "legacy_compression_methods must be exactly { null }.");
        if (suitesBody.Length % 2 != 0) throw new TlsAlertException(TlsAlert.DecodeError, "cipher_suites has an odd length.");
        if (legacyVersion < TlsConstants.LegacyVersion) throw new TlsAlertException(TlsAlert.ProtocolVersion, "The client's legacy_version is below TLS 1.2.");
        if (second && !random.SequenceEqual(ClientRandom))
            throw new TlsAlertException(TlsAlert.IllegalParameter, "The second ClientHello changed the random.");
        ClientRandom = random.ToArray();

        // RFC 8446 §4.2.1: TLS 1.3 only.
        if (!ext.TryGet(TlsConstants.ExtSupportedVersions, out byte[] sv) || !OffersTls13(sv))
            throw new TlsAlertException(TlsAlert.ProtocolVersion, "The client does not offer TLS 1.3.");
        // RFC 8446 §4.2.11: pre_shared_key must be the last extension.
        if (ext.Contains(TlsConstants.ExtPreSharedKey) && ext.Order[^1] != TlsConstants.ExtPreSharedKey)
            throw new TlsAlertException(TlsAlert.IllegalParameter, "pre_shared_key is not the last extension.");
        if (second && ext.Contains(TlsConstants.ExtEarlyData))
            throw new TlsAlertException(TlsAlert.IllegalParameter, "early_data in the ClientHello after HelloRetryRequest.");

        if (ext.TryGet(TlsConstants.ExtServerName, out byte[] sni)) ClientServerName = ParseServerName(sni);
        _certificate = SelectCertificate();

        // RFC 9001 §8.1: ALPN is mandatory.
        if (!ext.TryGet(TlsConstants.ExtAlpn, out byte[] alpnBody))
            throw new TlsAlertException(TlsAlert.NoApplicationProtocol, "The client offered no ALPN protocol.");
        NegotiatedApplicationProtocol = ChooseAlpn(alpnBody);

        // RFC 9001 §8.2: quic_transport_parameters is mandatory.
        if (!ext.TryGet(TlsConstants.ExtQuicTransportParameters, out byte[]? tp) && _options.EnforceQuicRules)
            throw new TlsAlertException(TlsAlert.MissingExtension, "The client sent no quic_transport_parameters.");

        List<CipherSuite> offeredSuites = ParseSuites(suitesBody);
        byte[] modes = ext.TryGet(TlsConstants.ExtPskKeyExchangeModes, out byte[] m) ? ParseModes(m) : [];
        _clientTakesTickets = Array.IndexOf(modes, TlsConstants.PskDheKe) >= 0;

        // Resumption: open the first ticket we can (RFC 8446 §4.2.11); a ticket we cannot open means a full handshake.
        TicketState? resumed = null;
        int pskIndex = -1;
        List<(byte[] Identity, uint Age)> identities = [];
        List<byte[]> binders = [];
        int bindersOffset = 0;
        if (ext.TryGet(TlsConstants.ExtPreSharedKey, out byte[] pskBody))
        {
            if (!ext.Contains(TlsConstants.ExtPskKeyExchangeModes))
                throw new TlsAlertException(TlsAlert.MissingExtension, "pre_shared_key without psk_key_exchange_modes.");
            bindersOffset = message.Length - (pskBody.Length - ParseOfferedPsks(pskBody, identities, binders));
            if (_clientTakesTickets && _options.SessionTicketKeys is not null)
            {
                for (int i = 0; i < identities.Count && resumed is null; i++)
                {
                    resumed = TicketState.Open(_options.SessionTicketKeys, identities[i].Identity, _options.TimeProvider.GetUtcNow());
                    if (resumed is not null) pskIndex = i;
                }
            }
        }

        // Cipher suite: server preference, but a resumable ticket's own suite first (0-RTT needs it, RFC 8446 §4.2.10).
        CipherSuite suite;
        if (second)
        {
            suite = CipherSuite;
            if (!offeredSuites.Contains(suite)) throw new TlsAlertException(TlsAlert.IllegalParameter, "The second ClientHello dropped the chosen cipher suite.");
        }
        else if (resumed is not null && offeredSuites.Contains(resumed.Suite) && _options.CipherSuites.Contains(resumed.Suite))
        {
            suite = resumed.Suite;
        }
        else
        {
            suite = default;
            foreach (CipherSuite s in _options.CipherSuites)
                if (offeredSuites.Contains(s)) { suite = s; break; }
            if (suite == default) throw new TlsAlertException(TlsAlert.HandshakeFailure, "No cipher suite in common.");
        }
        CipherSuite = suite;
        HashAlgorithmName hash = TlsConstants.HashOf(suite);
        if (resumed is not null && TlsConstants.HashOf(resumed.Suite) != hash) { resumed = null; pskIndex = -1; }

        // Signature scheme (not needed when resuming, RFC 8446 §4.2.3).
        ushort? scheme = null;
        if (resumed is null)
        {
            if (!ext.TryGet(TlsConstants.ExtSignatureAlgorithms, out byte[] sa))
                throw new TlsAlertException(TlsAlert.MissingExtension, "The ClientHello has no signature_algorithms.");
            scheme = TlsSignatures.ChooseScheme(_certificate, ParseUInt16List(sa, "signature_algorithms"))
                ?? throw new TlsAlertException(TlsAlert.HandshakeFailure, "The client accepts no signature scheme that fits the server certificate.");
        }

        // Key exchange (RFC 8446 §4.2.7, §4.2.8).
        if (!ext.TryGet(TlsConstants.ExtSupportedGroups, out byte[] sg))
            throw new TlsAlertException(TlsAlert.MissingExtension, "The ClientHello has no supported_groups.");
        List<ushort> clientGroups = ParseUInt16List(sg, "supported_groups");
        if (!ext.TryGet(TlsConstants.ExtKeyShare, out byte[] ksBody))
            throw new TlsAlertException(TlsAlert.MissingExtension, "The ClientHello has no key_share.");
        List<(ushort Group, byte[] Key)> shares = ParseClientShares(ksBody, clientGroups);

        TlsNamedGroup? group = null;
        byte[]? peerShare = null;
        foreach (TlsNamedGroup g in _options.Groups)
        {
            foreach (var s in shares)
                if (s.Group == (ushort)g) { group = g; peerShare = s.Key; break; }
            if (group is not null) break;
        }
        if (second)
        {
            // RFC 8446 §4.1.2: the second ClientHello carries exactly the requested share.
            if (shares.Count != 1 || group != _retryGroup)
                throw new TlsAlertException(TlsAlert.IllegalParameter, "The second ClientHello does not carry the key share HelloRetryRequest asked for.");
        }
        if (group is null)
        {
            foreach (TlsNamedGroup g in _options.Groups)
                if (clientGroups.Contains((ushort)g)) { group = g; break; }
            if (group is null) throw new TlsAlertException(TlsAlert.HandshakeFailure, "No key-exchange group in common.");
            // RFC 8446 §4.2.10: HelloRetryRequest rejects early data.
            if (ext.Contains(TlsConstants.ExtEarlyData)) EarlyDataStatus = TlsEarlyDataStatus.Rejected;
            SendHelloRetryRequest(message, sessionId, group.Value, hash);
            return;
        }

        // PSK binder (RFC 8446 §4.2.11.2): over the transcript up to this ClientHello's identities.
        TlsKeySchedule schedule = new(hash, resumed is null ? ReadOnlySpan<byte>.Empty : resumed.Psk);
        if (resumed is not null)
        {
            if (binders.Count != identities.Count) throw new TlsAlertException(TlsAlert.IllegalParameter, "PSK binders and identities differ in number.");
            var partial = new TlsWriter(Transcript.Length + bindersOffset);
            partial.WriteBytes(Transcript.WrittenSpan);
            partial.WriteBytes(message.AsSpan(0, bindersOffset));
            byte[] expected = schedule.FinishedVerifyData(schedule.ResumptionBinderKey(), TlsConstants.Hash(hash, partial.WrittenSpan));
            if (binders[pskIndex].Length != expected.Length || !CryptographicOperations.FixedTimeEquals(binders[pskIndex], expected))
                throw new TlsAlertException(TlsAlert.DecryptError, "The PSK binder does not verify.");
            IsResumed = true;
            ResumedTicketApplicationData = resumed.AppData;
        }
        Schedule = schedule;

        if (tp is not null)
        {
            PeerTransportParameters = tp;
            NotifyPeerTransportParameters(tp);
        }

        AddToTranscript(message);
        bool acceptEarlyData = ext.Contains(TlsConstants.ExtEarlyData) && resumed is not null && pskIndex == 0
            && DecideEarlyData(resumed, identities[0].Age);
        if (ext.Contains(TlsConstants.ExtEarlyData))
        {
            EarlyDataStatus = acceptEarlyData ? TlsEarlyDataStatus.Accepted : TlsEarlyDataStatus.Rejected;
            if (acceptEarlyData)
            {
                byte[] early = schedule.DeriveSecret(schedule.EarlySecret, "c e traffic", TranscriptHash());
                SetReadSecret(EncryptionLevel.ZeroRtt, early, "CLIENT_EARLY_TRAFFIC_SECRET");
            }
        }

        using var keyShare = new KeyShare(group.Value);
        byte[] shared = keyShare.DeriveSharedSecret(peerShare);
        NegotiatedGroup = group;
        ExpectNoMoreData(EncryptionLevel.Initial);

        // ServerHello (RFC 8446 §4.1.3).
        var w = new TlsWriter(256);
        int msg = BeginMessage(w, TlsConstants.ServerHello);
        w.WriteUInt16(TlsConstants.LegacyVersion);
        Span<byte> serverRandom = stackalloc byte[32];
        SecureRandom.Fill(serverRandom);
        w.WriteBytes(serverRandom);
        w.WriteVector8(sessionId);
        w.WriteUInt16((ushort)suite);
        w.WriteUInt8(0);
        int exts = w.BeginLength(2);
        w.WriteUInt16(TlsConstants.ExtSupportedVersions); w.WriteUInt16(2); w.WriteUInt16(TlsConstants.Tls13);
        w.WriteUInt16(TlsConstants.ExtKeyShare);
        int ks = w.BeginLength(2);
        w.WriteUInt16((ushort)group.Value); w.WriteVector16(keyShare.PublicKey);
        w.EndLength(ks, 2);
        if (resumed is not null) { w.WriteUInt16(TlsConstants.ExtPreSharedKey); w.WriteUInt16(2); w.WriteUInt16(pskIndex); }
        w.EndLength(exts, 2);
        EndMessage(w, msg);
        Send(EncryptionLevel.Initial, w.WrittenSpan);

        schedule.SetSharedSecret(shared);
        CryptographicOperations.ZeroMemory(shared);
        byte[] th = TranscriptHash();
        byte[] clientHandshakeSecret = schedule.DeriveSecret(schedule.HandshakeSecret!, "c hs traffic", th);
        byte[] serverHandshakeSecret = schedule.DeriveSecret(schedule.HandshakeSecret!, "s hs traffic", th);
        // Each finished_key right after its secret's packet keys: the same HMAC key in a row (HkdfLabel's cache).
        SetWriteSecret(EncryptionLevel.Handshake, serverHandshakeSecret, "SERVER_HANDSHAKE_TRAFFIC_SECRET");
        byte[] serverFinishedKey = schedule.FinishedKey(serverHandshakeSecret);
        SetReadSecret(EncryptionLevel.Handshake, clientHandshakeSecret, "CLIENT_HANDSHAKE_TRAFFIC_SECRET");
        _clientFinishedKey = schedule.FinishedKey(clientHandshakeSecret);

        SendEncryptedExtensions(tpLocal: LocalTransportParameters, earlyData: acceptEarlyData);
        if (resumed is null) SendCertificateAndVerify(scheme!.Value);

        w.Clear();
        msg = BeginMessage(w, TlsConstants.Finished);
        w.WriteBytes(FinishedVerifyData(serverFinishedKey));
        CryptographicOperations.ZeroMemory(serverFinishedKey);
        EndMessage(w, msg);
        Send(EncryptionLevel.Handshake, w.WrittenSpan);

        th = TranscriptHash();
        _clientApplicationSecret = schedule.DeriveSecret(schedule.MasterSecret!, "c ap traffic", th);
        byte[] serverApp = schedule.DeriveSecret(schedule.MasterSecret!, "s ap traffic", th);
        // The server may send 0.5-RTT data now (RFC 9001 §4.1.1); it reads 1-RTT only once the handshake completes (§5.7).
        SetWriteSecret(EncryptionLevel.OneRtt, serverApp, "SERVER_TRAFFIC_SECRET_0");
        TlsKeyLog.Write(KeyLog, "CLIENT_TRAFFIC_SECRET_0", ClientRandom, _clientApplicationSecret);
        _state = State.WaitFinished;
    }

    private void SendHelloRetryRequest(byte[] clientHello, ReadOnlySpan<byte> sessionId, TlsNamedGroup group, HashAlgorithmName hash)
    {
        // RFC 8446 §4.1.4: one HelloRetryRequest; the transcript restarts with message_hash(ClientHello1).
        if (HelloRetryRequested) throw new TlsAlertException(TlsAlert.IllegalParameter, "The second ClientHello still lacks a usable key share.");
        HelloRetryRequested = true;
        _retryGroup = group;
        Schedule = new TlsKeySchedule(hash, ReadOnlySpan<byte>.Empty);
        ExpectNoMoreData(EncryptionLevel.Initial);
        AddToTranscript(clientHello);
        ReplaceTranscriptWithMessageHash(hash);

        var w = new TlsWriter(128);
        int msg = BeginMessage(w, TlsConstants.ServerHello);
        w.WriteUInt16(TlsConstants.LegacyVersion);
        w.WriteBytes(TlsConstants.HelloRetryRequestRandom);
        w.WriteVector8(sessionId); // echo of legacy_session_id (empty in QUIC)
        w.WriteUInt16((ushort)CipherSuite);
        w.WriteUInt8(0);
        int exts = w.BeginLength(2);
        w.WriteUInt16(TlsConstants.ExtSupportedVersions); w.WriteUInt16(2); w.WriteUInt16(TlsConstants.Tls13);
        w.WriteUInt16(TlsConstants.ExtKeyShare); w.WriteUInt16(2); w.WriteUInt16((ushort)group);
        w.EndLength(exts, 2);
        EndMessage(w, msg);
        Send(EncryptionLevel.Initial, w.WrittenSpan);
        // Early data, if offered, is rejected: RFC 8446 §4.2.10.
        _state = State.WaitSecondClientHello;
    }

    private void SendEncryptedExtensions(byte[] tpLocal, bool earlyData)
    {
        var w = new TlsWriter(256 + tpLocal.Length);
        int msg = BeginMessage(w, TlsConstants.EncryptedExtensions);
        int exts = w.BeginLength(2);
        w.WriteUInt16(TlsConstants.ExtAlpn);
        int a = w.BeginLength(2); int al = w.BeginLength(2);
        w.WriteVector8(NegotiatedApplicationProtocol.Protocol.Span);
        w.EndLength(al, 2); w.EndLength(a, 2);
        WriteExtension(w, TlsConstants.ExtQuicTransportParameters, tpLocal);
        if (earlyData) WriteExtension(w, TlsConstants.ExtEarlyData, ReadOnlySpan<byte>.Empty);
        w.EndLength(exts, 2);
        EndMessage(w, msg);
        Send(EncryptionLevel.Handshake, w.WrittenSpan);
    }

    private void SendCertificateAndVerify(ushort scheme)
    {
        X509Certificate2 leaf = _certificate!;
        var w = new TlsWriter(4096);
        int msg = BeginMessage(w, TlsConstants.Certificate);
        w.WriteUInt8(0); // certificate_request_context
        int list = w.BeginLength(3);
        w.WriteVector24(leaf.RawDataMemory.Span); w.WriteUInt16(0);
        if (_options.ServerCertificateChain is not null && ReferenceEquals(leaf, _options.ServerCertificate))
            foreach (X509Certificate2 c in _options.ServerCertificateChain) { w.WriteVector24(c.RawDataMemory.Span); w.WriteUInt16(0); }
        w.EndLength(list, 3);
        EndMessage(w, msg);
        Send(EncryptionLevel.Handshake, w.WrittenSpan);

        byte[] signature = TlsSignatures.Sign(leaf, scheme, TlsSignatures.ServerSignedContent(TranscriptHash()));
        w.Clear();
        msg = BeginMessage(w, TlsConstants.CertificateVerify);
        w.WriteUInt16(scheme);
        w.WriteVector16(signature);
        EndMessage(w, msg);
        Send(EncryptionLevel.Handshake, w.WrittenSpan);
    }

    private void HandleFinished(byte[] message)
    {
        VerifyFinished(message, _clientFinishedKey!);
        AddToTranscript(message);
        ExpectNoMoreData(EncryptionLevel.Handshake);
        byte[] resumptionMasterSecret = Schedule!.DeriveSecret(Schedule.MasterSecret!, "res master", TranscriptHash());
        _state = State.Connected;
        IsHandshakeComplete = true;
        Listener.OnReadSecret(EncryptionLevel.OneRtt, CipherSuite, _clientApplicationSecret!);
        ThrowIfAborted();
        NotifyHandshakeComplete();
        if (_options.SessionTicketKeys is not null && _clientTakesTickets) SendNewSessionTicket(resumptionMasterSecret);
        // The only ticket is sent: nothing derives from the schedule or the handshake secrets any more.
        ReleaseHandshakeState();
        Schedule = null;
        CryptographicOperations.ZeroMemory(_clientFinishedKey);
        _clientFinishedKey = null;
        _clientApplicationSecret = null;
    }

    private void SendNewSessionTicket(byte[] resumptionMasterSecret)
    {
        // RFC 8446 §4.6.1.
        DateTimeOffset now = _options.TimeProvider.GetUtcNow();
        Span<byte> nonce = stackalloc byte[8];
        SecureRandom.Fill(nonce);
        uint ageAdd = SecureRandom.GetUInt32();
        uint lifetime = (uint)_options.SessionTicketLifetime.TotalSeconds;
        uint maxEarlyData = _options.EnableEarlyData ? TlsConstants.QuicMaxEarlyDataSize : 0;
        var state = new TicketState(now, lifetime, ageAdd, CipherSuite, Schedule!.TicketPsk(resumptionMasterSecret, nonce),
            NegotiatedApplicationProtocol.Protocol.ToArray(), maxEarlyData, TicketApplicationData ?? [], SecureRandom.GetBytes(16));
        byte[] ticket = _options.SessionTicketKeys!.Seal(state.Serialize());

        var w = new TlsWriter(128 + ticket.Length);
        int msg = BeginMessage(w, TlsConstants.NewSessionTicket);
        w.WriteUInt32(lifetime);
        w.WriteUInt32(ageAdd);
        w.WriteVector8(nonce);
        w.WriteVector16(ticket);
        int exts = w.BeginLength(2);
        if (maxEarlyData != 0) { w.WriteUInt16(TlsConstants.ExtEarlyData); w.WriteUInt16(4); w.WriteUInt32(maxEarlyData); }
        w.EndLength(exts, 2);
        EndMessage(w, msg);
        Send(EncryptionLevel.OneRtt, w.WrittenSpan, addToTranscript: false);
    }

    private X509Certificate2 SelectCertificate()
    {
        X509Certificate2? certificate = _options.ServerCertificateSelector is { } select ? select(ClientServerName) : _options.ServerCertificate;
        if (certificate is null)
            throw new TlsAlertException(TlsAlert.UnrecognizedName, $"No certificate for server name '{ClientServerName}'.");
        if (!certificate.HasPrivateKey)
            throw new TlsAlertException(TlsAlert.InternalError, "The selected server certificate has no private key.");
        return certificate;
    }

    private bool DecideEarlyData(TicketState ticket, uint obfuscatedAge)
    {
        if (!_options.EnableEarlyData || ticket.MaxEarlyData == 0) return false;
        // RFC 8446 §4.2.10: same suite and ALPN as the issuing connection.
        if (ticket.Suite != CipherSuite || !NegotiatedApplicationProtocol.Protocol.Span.SequenceEqual(ticket.Alpn)) return false;
        // RFC 8446 §8.3: the client's ticket age must agree with ours within a window.
        DateTimeOffset now = _options.TimeProvider.GetUtcNow();
        double serverAgeMs = (now - ticket.CreatedAt).TotalMilliseconds;
        double clientAgeMs = unchecked(obfuscatedAge - ticket.AgeAdd);
        if (Math.Abs(serverAgeMs - clientAgeMs) > _options.MaxTicketAgeSkew.TotalMilliseconds) return false;
        if (_options.EarlyDataFilter is not null && !_options.EarlyDataFilter(ticket.AppData)) return false;
        // RFC 8446 §8.1: single-use tickets for 0-RTT.
        return _options.ReplayCache.TryRegister(ticket.Id, now, ticket.CreatedAt + TimeSpan.FromSeconds(ticket.Lifetime));
    }

    private SslApplicationProtocol ChooseAlpn(byte[] body)
    {
        var r = new TlsReader(body);
        var list = new TlsReader(r.ReadVector16(2));
        r.ExpectEnd("ALPN");
        var offered = new List<byte[]>();
        while (!list.IsEmpty) offered.Add(list.ReadVector8(1).ToArray());
        foreach (SslApplicationProtocol p in _options.ApplicationProtocols)
            foreach (byte[] o in offered)
                if (p.Protocol.Span.SequenceEqual(o)) return p;
        throw new TlsAlertException(TlsAlert.NoApplicationProtocol, "The client offers no ALPN protocol this server serves.");
    }

    private static string? ParseServerName(byte[] body)
    {
        var r = new TlsReader(body);
        var list = new TlsReader(r.ReadVector16(1));
        r.ExpectEnd("server_name");
        string? name = null;
        while (!list.IsEmpty)
        {
            byte type = list.ReadUInt8();
            ReadOnlySpan<byte> value = list.ReadVector16(1);
            if (type == 0)
            {
                if (name is not null) throw new TlsAlertException(TlsAlert.IllegalParameter, "server_name holds two host names.");
                foreach (byte b in value)
                    if (b is < 0x21 or > 0x7e) throw new TlsAlertException(TlsAlert.DecodeError, "server_name is not an ASCII host name.");
                name = Encoding.ASCII.GetString(value);
            }
        }
        return name;
    }

    private static bool OffersTls13(byte[] body)
    {
        var r = new TlsReader(body);
        var list = new TlsReader(r.ReadVector8(2));
        r.ExpectEnd("supported_versions");
        while (!list.IsEmpty) if (list.ReadUInt16() == TlsConstants.Tls13) return true;
        return false;
    }

    private static List<CipherSuite> ParseSuites(ReadOnlySpan<byte> body)
    {
        var r = new TlsReader(body);
        var result = new List<CipherSuite>();
        while (!r.IsEmpty)
        {
            ushort s = r.ReadUInt16();
            if (TlsConstants.IsKnownSuite(s)) result.Add((CipherSuite)s);
        }
        return result;
    }

    private static byte[] ParseModes(byte[] body)
    {
        var r = new TlsReader(body);
        byte[] modes = r.ReadVector8(1).ToArray();
        r.ExpectEnd("psk_key_exchange_modes");
        return modes;
    }

    private static List<ushort> ParseUInt16List(byte[] body, string what)
    {
        var r = new TlsReader(body);
        ReadOnlySpan<byte> v = r.ReadVector16(2);
        r.ExpectEnd(what);
        if (v.Length % 2 != 0) throw new TlsAlertException(TlsAlert.DecodeError, $"{what} has an odd length.");
        var list = new List<ushort>(v.Length / 2);
        var lr = new TlsReader(v);
        while (!lr.IsEmpty) list.Add(lr.ReadUInt16());
        return list;
    }

    private static List<(ushort, byte[])> ParseClientShares(byte[] body, List<ushort> clientGroups)
    {
        var r = new TlsReader(body);
        var list = new TlsReader(r.ReadVector16());
        r.ExpectEnd("key_share");
        var shares = new List<(ushort, byte[])>();
        while (!list.IsEmpty)
        {
            ushort group = list.ReadUInt16();
            byte[] key = list.ReadVector16(1).ToArray();
            // RFC 8446 §4.2.8: one share per group, each for a group in supported_groups.
            foreach (var s in shares)
                if (s.Item1 == group) throw new TlsAlertException(TlsAlert.IllegalParameter, "Two key shares for one group.");
            if (!clientGroups.Contains(group)) throw new TlsAlertException(TlsAlert.IllegalParameter, "A key share for a group not in supported_groups.");
            shares.Add((group, key));
        }
        return shares;
    }

    /// <summary>Parses OfferedPsks; returns the offset of the binders vector inside the extension body.</summary>
    private static int ParseOfferedPsks(byte[] body, List<(byte[], uint)> identities, List<byte[]> binders)
    {
        var r = new TlsReader(body);
        var ids = new TlsReader(r.ReadVector16(7));
        int bindersOffset = body.Length - r.Remaining;
        var bs = new TlsReader(r.ReadVector16(33));
        r.ExpectEnd("pre_shared_key");
        while (!ids.IsEmpty) identities.Add((ids.ReadVector16(1).ToArray(), ids.ReadUInt32()));
        while (!bs.IsEmpty) binders.Add(bs.ReadVector8(32).ToArray());
        return bindersOffset;
    }
}
