using System.Net.Security;
using System.Security.Cryptography;
using Transport.Core.Security;
using System.Security.Cryptography.X509Certificates;
using System.Text;

namespace Transport.Quic.Tls;

/// <summary>
/// The client side of the TLS 1.3 handshake for QUIC. Call <see cref="Start"/> once (it emits the ClientHello at the
/// Initial level, and the 0-RTT write secret when early data is offered), then feed received CRYPTO data with
/// <see cref="TlsHandshake.ProcessCryptoData"/>.
/// </summary>
internal sealed class TlsClientHandshake : TlsHandshake
{
    private enum State { Start, WaitServerHello, WaitEncryptedExtensions, WaitCertificate, WaitCertificateVerify, WaitFinished, Connected }

    private readonly TlsClientOptions _options;
    private State _state = State.Start;
    private KeyShare? _keyShare;
    private TlsSessionTicket? _ticket;          // the ticket offered, while it is still offered
    private TlsKeySchedule? _pskSchedule;      // early secret from the ticket's PSK
    private byte[]? _cookie;
    private CipherSuite? _hrrSuite;
    // finished_key of each handshake traffic secret (RFC 8446 §4.4.4), all the handshake keeps of those secrets.
    private byte[]? _clientFinishedKey;
    private byte[]? _serverFinishedKey;
    private byte[]? _resumptionMasterSecret;

    /// <summary>A client handshake. <paramref name="localTransportParameters"/> is the encoded quic_transport_parameters body.</summary>
    /// <exception cref="ArgumentException">The options are incomplete or invalid.</exception>
    public TlsClientHandshake(TlsClientOptions options, ReadOnlyMemory<byte> localTransportParameters, ITlsHandshakeListener listener)
        : this(options, localTransportParameters, listener, options?.KeyLog)
    {
    }

    /// <summary>As the public constructor, with the key log given apart from the options (the connection's choice).</summary>
    internal TlsClientHandshake(TlsClientOptions options, ReadOnlyMemory<byte> localTransportParameters, ITlsHandshakeListener listener, Action<string>? keyLog)
        : base(listener, localTransportParameters, keyLog)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        _options = options;
    }

    /// <inheritdoc/>
    public override bool IsServer => false;

    /// <summary>Sends the first ClientHello. Returns an error only for a local failure.</summary>
    /// <exception cref="InvalidOperationException">Start was called twice.</exception>
    public TlsResult Start()
    {
        if (_state != State.Start) throw new InvalidOperationException("Start was already called.");
        _state = State.WaitServerHello;
        return Guard(() =>
        {
            ClientRandom = SecureRandom.GetBytes(32);
            _keyShare = new KeyShare(_options.Groups[0]);
            _ticket = UsableTicket();
            // RFC 8446 §4.2.10: early data goes under the ticket's suite and ALPN, so offer it only if both are still wanted.
            bool offerEarlyData = _ticket is not null && _options.EnableEarlyData && _ticket.AllowsEarlyData
                && _options.ApplicationProtocols.Contains(_ticket.ApplicationProtocol);
            byte[] clientHello = BuildClientHello(offerEarlyData);
            Send(EncryptionLevel.Initial, clientHello);
            if (offerEarlyData)
            {
                EarlyDataStatus = TlsEarlyDataStatus.Offered;
                // RFC 8446 §7.1: client_early_traffic_secret = Derive-Secret(early_secret, "c e traffic", ClientHello).
                CipherSuite = _ticket!.CipherSuite;
                byte[] early = _pskSchedule!.DeriveSecret(_pskSchedule.EarlySecret, "c e traffic", TlsConstants.Hash(_pskSchedule.Hash, Transcript.WrittenSpan));
                SetWriteSecret(EncryptionLevel.ZeroRtt, early, "CLIENT_EARLY_TRAFFIC_SECRET");
            }
        });
    }

    /// <inheritdoc/>
    public override void Dispose() => _keyShare?.Dispose();

    private TlsSessionTicket? UsableTicket()
    {
        TlsSessionTicket? t = _options.SessionTicket;
        if (t is null) return null;
        if (_options.TimeProvider.GetUtcNow() >= t.ExpiresAt) return null;
        if (!string.Equals(t.ServerName, _options.ServerName, StringComparison.OrdinalIgnoreCase)) return null;
        if (!_options.CipherSuites.Contains(t.CipherSuite)) return null;
        return t;
    }

    private byte[] BuildClientHello(bool offerEarlyData)
    {
        var w = new TlsWriter(1024);
        int msg = BeginMessage(w, TlsConstants.ClientHello);
        w.WriteUInt16(TlsConstants.LegacyVersion);
        w.WriteBytes(ClientRandom);
        w.WriteUInt8(0); // RFC 9001 §8.4: empty legacy_session_id, no middlebox compatibility mode.
        int suites = w.BeginLength(2);
        foreach (CipherSuite s in _options.CipherSuites) w.WriteUInt16((ushort)s);
        w.EndLength(suites, 2);
        w.WriteUInt8(1); w.WriteUInt8(0); // legacy_compression_methods = { null }
        int exts = w.BeginLength(2);

        if (TlsCertificateValidator.IsSniName(_options.ServerName))
        {
            // RFC 6066 §3: server_name_list with one host_name.
            byte[] name = Encoding.ASCII.GetBytes(_options.ServerName!.TrimEnd('.')); // RFC 6066 §3: no trailing dot
            w.WriteUInt16(TlsConstants.ExtServerName);
            int e = w.BeginLength(2); int list = w.BeginLength(2);
            w.WriteUInt8(0); w.WriteVector16(name);
            w.EndLength(list, 2); w.EndLength(e, 2);
        }

        w.WriteUInt16(TlsConstants.ExtSupportedVersions);
        w.WriteUInt16(3); w.WriteUInt8(2); w.WriteUInt16(TlsConstants.Tls13);

        w.WriteUInt16(TlsConstants.ExtSupportedGroups);
        int g = w.BeginLength(2); int gl = w.BeginLength(2);
        foreach (TlsNamedGroup group in _options.Groups) w.WriteUInt16((ushort)group);
        w.EndLength(gl, 2); w.EndLength(g, 2);

        w.WriteUInt16(TlsConstants.ExtSignatureAlgorithms);
        int sa = w.BeginLength(2); int sal = w.BeginLength(2);
        foreach (ushort scheme in TlsConstants.OfferedSignatureSchemes) w.WriteUInt16(scheme);
        w.EndLength(sal, 2); w.EndLength(sa, 2);

        w.WriteUInt16(TlsConstants.ExtKeyShare);
        int ks = w.BeginLength(2); int ksl = w.BeginLength(2);
        w.WriteUInt16((ushort)_keyShare!.Group); w.WriteVector16(_keyShare.PublicKey);
        w.EndLength(ksl, 2); w.EndLength(ks, 2);

        w.WriteUInt16(TlsConstants.ExtAlpn);
        int alpn = w.BeginLength(2); int alpnList = w.BeginLength(2);
        foreach (SslApplicationProtocol p in _options.ApplicationProtocols) w.WriteVector8(p.Protocol.Span);
        w.EndLength(alpnList, 2); w.EndLength(alpn, 2);

        WriteExtension(w, TlsConstants.ExtQuicTransportParameters, LocalTransportParameters);

        // RFC 8446 §4.2.9: psk_dhe_ke only (QUIC keeps forward secrecy); also tells the server we take tickets.
        w.WriteUInt16(TlsConstants.ExtPskKeyExchangeModes);
        w.WriteUInt16(2); w.WriteUInt8(1); w.WriteUInt8(TlsConstants.PskDheKe);

        if (_cookie is not null)
        {
            w.WriteUInt16(TlsConstants.ExtCookie);
            int c = w.BeginLength(2); w.WriteVector16(_cookie); w.EndLength(c, 2);
        }

        if (offerEarlyData) WriteExtension(w, TlsConstants.ExtEarlyData, ReadOnlySpan<byte>.Empty);

        int bindersAt = -1;
        if (_ticket is not null)
        {
            // RFC 8446 §4.2.11: pre_shared_key is the last extension.
            _pskSchedule ??= new TlsKeySchedule(TlsConstants.HashOf(_ticket.CipherSuite), _ticket.Psk);
            w.WriteUInt16(TlsConstants.ExtPreSharedKey);
            int psk = w.BeginLength(2);
            int ids = w.BeginLength(2);
            w.WriteVector16(_ticket.Ticket);
            // RFC 8446 §4.2.11.1: obfuscated_ticket_age = (age in ms + ticket_age_add) mod 2^32.
            long ageMs = (long)(_options.TimeProvider.GetUtcNow() - _ticket.ReceivedAt).TotalMilliseconds;
            w.WriteUInt32(unchecked((uint)Math.Max(0, ageMs) + _ticket.AgeAdd));
            w.EndLength(ids, 2);
            bindersAt = w.Length;
            int binders = w.BeginLength(2);
            w.WriteUInt8(_pskSchedule.HashLength);
            w.BeginLength(_pskSchedule.HashLength); // placeholder, patched below
            w.EndLength(binders, 2);
            w.EndLength(psk, 2);
        }

        w.EndLength(exts, 2);
        EndMessage(w, msg);
        byte[] hello = w.ToArray();

        if (bindersAt >= 0)
        {
            // RFC 8446 §4.2.11.2: the binder is an HMAC over the transcript up to and including the identities.
            var transcript = new TlsWriter(Transcript.Length + bindersAt);
            transcript.WriteBytes(Transcript.WrittenSpan);
            transcript.WriteBytes(hello.AsSpan(0, bindersAt));
            byte[] binder = _pskSchedule!.FinishedVerifyData(_pskSchedule.ResumptionBinderKey(),
                TlsConstants.Hash(_pskSchedule.Hash, transcript.WrittenSpan));
            binder.CopyTo(hello, bindersAt + 3);
        }
        return hello;
    }

    /// <inheritdoc/>
    protected override void HandleMessage(EncryptionLevel level, byte type, byte[] message)
    {
        RejectForbiddenMessages(type);
        switch (_state)
        {
            case State.WaitServerHello when type == TlsConstants.ServerHello && level == EncryptionLevel.Initial:
                HandleServerHello(message);
                break;
            case State.WaitEncryptedExtensions when type == TlsConstants.EncryptedExtensions && level == EncryptionLevel.Handshake:
                HandleEncryptedExtensions(message);
                break;
            case State.WaitCertificate when type == TlsConstants.Certificate && level == EncryptionLevel.Handshake:
                HandleCertificate(message);
                break;
            case State.WaitCertificateVerify when type == TlsConstants.CertificateVerify && level == EncryptionLevel.Handshake:
                HandleCertificateVerify(message);
                break;
            case State.WaitFinished when type == TlsConstants.Finished && level == EncryptionLevel.Handshake:
                HandleFinished(message);
                break;
            case State.Connected when type == TlsConstants.NewSessionTicket && level == EncryptionLevel.OneRtt:
                HandleNewSessionTicket(message);
                break;
            case State.WaitCertificate when type == TlsConstants.CertificateRequest:
                // We offer no client certificate; RFC 8446 §4.4.2 would have us send an empty Certificate, but QUIC
                // servers that demand one cannot be served by this client.
                throw new TlsAlertException(TlsAlert.CertificateRequired, "The server asked for a client certificate, which this client does not support.");
            default:
                throw Unexpected(type, $"at the {level} level in state {_state}");
        }
    }

    private void HandleServerHello(byte[] message)
    {
        var r = new TlsReader(message.AsSpan(4));
        ushort legacyVersion = r.ReadUInt16();
        ReadOnlySpan<byte> random = r.ReadBytes(32);
        ReadOnlySpan<byte> sessionId = r.ReadVector8();
        ushort suite = r.ReadUInt16();
        byte compression = r.ReadUInt8();
        TlsExtensions ext = TlsExtensions.Parse(r.ReadVector16());
        r.ExpectEnd("ServerHello");

        bool isRetry = random.SequenceEqual(TlsConstants.HelloRetryRequestRandom);
        // RFC 8446 §4.1.3 and §4.2.1: TLS 1.3 is chosen by supported_versions; anything else is an older server.
        if (!ext.TryGet(TlsConstants.ExtSupportedVersions, out byte[] sv))
            throw new TlsAlertException(TlsAlert.ProtocolVersion, "The server did not select TLS 1.3 (no supported_versions).");
        if (sv.Length != 2 || sv[0] != 0x03 || sv[1] != 0x04)
            throw new TlsAlertException(TlsAlert.IllegalParameter, "The server selected a version other than TLS 1.3.");
        if (legacyVersion != TlsConstants.LegacyVersion) throw new TlsAlertException(TlsAlert.ProtocolVersion, "ServerHello.legacy_version is not 0x0303.");
        if (!sessionId.IsEmpty) throw new TlsAlertException(TlsAlert.IllegalParameter, "ServerHello.legacy_session_id_echo differs from what the client sent.");
        if (compression != 0) throw new TlsAlertException(TlsAlert.IllegalParameter, "ServerHello.legacy_compression_method is not 0.");
        if (!_options.CipherSuites.Contains((CipherSuite)suite))
            throw new TlsAlertException(TlsAlert.IllegalParameter, $"The server chose cipher suite 0x{suite:x4}, which was not offered.");
        if (_hrrSuite is CipherSuite previous && previous != (CipherSuite)suite)
            throw new TlsAlertException(TlsAlert.IllegalParameter, "ServerHello's cipher suite differs from HelloRetryRequest's.");

        if (isRetry)
        {
            HandleHelloRetryRequest(message, (CipherSuite)suite, ext);
            return;
        }

        ext.AllowOnly([TlsConstants.ExtSupportedVersions, TlsConstants.ExtKeyShare, TlsConstants.ExtPreSharedKey], "ServerHello");
        CipherSuite = (CipherSuite)suite;
        HashAlgorithmName hash = TlsConstants.HashOf(CipherSuite);

        if (ext.TryGet(TlsConstants.ExtPreSharedKey, out byte[] pskBody))
        {
            var pr = new TlsReader(pskBody);
            ushort selected = pr.ReadUInt16();
            pr.ExpectEnd("pre_shared_key");
            if (_ticket is null || selected != 0)
                throw new TlsAlertException(TlsAlert.IllegalParameter, "The server selected a PSK the client did not offer.");
            // RFC 8446 §4.2.11: the PSK's hash must be the negotiated suite's.
            if (_pskSchedule!.Hash != hash)
                throw new TlsAlertException(TlsAlert.IllegalParameter, "The server resumed with a cipher suite whose hash differs from the ticket's.");
            Schedule = _pskSchedule;
            IsResumed = true;
        }
        else
        {
            Schedule = new TlsKeySchedule(hash, ReadOnlySpan<byte>.Empty);
        }

        if (!ext.TryGet(TlsConstants.ExtKeyShare, out byte[] ksBody))
            throw new TlsAlertException(TlsAlert.MissingExtension, "ServerHello has no key_share (only psk_dhe_ke was offered).");
        var kr = new TlsReader(ksBody);
        ushort group = kr.ReadUInt16();
        ReadOnlySpan<byte> serverShare = kr.ReadVector16(1);
        kr.ExpectEnd("key_share");
        if (group != (ushort)_keyShare!.Group)
            throw new TlsAlertException(TlsAlert.IllegalParameter, $"The server's key share is for group 0x{group:x4}, not the one the client sent.");
        byte[] shared = _keyShare.DeriveSharedSecret(serverShare);
        NegotiatedGroup = _keyShare.Group;

        AddToTranscript(message);
        Schedule.SetSharedSecret(shared);
        CryptographicOperations.ZeroMemory(shared);
        byte[] th = TranscriptHash();
        byte[] clientHandshakeSecret = Schedule.DeriveSecret(Schedule.HandshakeSecret!, "c hs traffic", th);
        byte[] serverHandshakeSecret = Schedule.DeriveSecret(Schedule.HandshakeSecret!, "s hs traffic", th);
        ExpectNoMoreData(EncryptionLevel.Initial);
        // Each finished_key right after its secret's packet keys: the same HMAC key in a row (HkdfLabel's cache).
        SetReadSecret(EncryptionLevel.Handshake, serverHandshakeSecret, "SERVER_HANDSHAKE_TRAFFIC_SECRET");
        _serverFinishedKey = Schedule.FinishedKey(serverHandshakeSecret);
        SetWriteSecret(EncryptionLevel.Handshake, clientHandshakeSecret, "CLIENT_HANDSHAKE_TRAFFIC_SECRET");
        _clientFinishedKey = Schedule.FinishedKey(clientHandshakeSecret);
        if (EarlyDataStatus == TlsEarlyDataStatus.Offered && !IsResumed) EarlyDataStatus = TlsEarlyDataStatus.Rejected;
        _state = State.WaitEncryptedExtensions;
    }

    private void HandleHelloRetryRequest(byte[] message, CipherSuite suite, TlsExtensions ext)
    {
        // RFC 8446 §4.1.4: one HelloRetryRequest at most.
        if (HelloRetryRequested) throw new TlsAlertException(TlsAlert.UnexpectedMessage, "A second HelloRetryRequest.");
        ext.AllowOnly([TlsConstants.ExtSupportedVersions, TlsConstants.ExtKeyShare, TlsConstants.ExtCookie], "HelloRetryRequest");
        HelloRetryRequested = true;
        _hrrSuite = suite;
        CipherSuite = suite;
        HashAlgorithmName hash = TlsConstants.HashOf(suite);

        bool changes = false;
        if (ext.TryGet(TlsConstants.ExtKeyShare, out byte[] ks))
        {
            var kr = new TlsReader(ks);
            ushort group = kr.ReadUInt16();
            kr.ExpectEnd("HelloRetryRequest key_share");
            // RFC 8446 §4.2.8: the group must be offered in supported_groups and not already have a share.
            if (!_options.Groups.Contains((TlsNamedGroup)group) || group == (ushort)_keyShare!.Group)
                throw new TlsAlertException(TlsAlert.IllegalParameter, $"HelloRetryRequest asks for group 0x{group:x4}, which is unoffered or already shared.");
            _keyShare.Dispose();
            _keyShare = new KeyShare((TlsNamedGroup)group);
            changes = true;
        }
        if (ext.TryGet(TlsConstants.ExtCookie, out byte[] cookie))
        {
            var cr = new TlsReader(cookie);
            _cookie = cr.ReadVector16(1).ToArray();
            cr.ExpectEnd("cookie");
            changes = true;
        }
        // RFC 8446 §4.1.4: a HelloRetryRequest that would not change the ClientHello is illegal_parameter.
        if (!changes) throw new TlsAlertException(TlsAlert.IllegalParameter, "HelloRetryRequest asks for no change.");

        // RFC 8446 §4.2.10: no early data after HelloRetryRequest.
        if (EarlyDataStatus == TlsEarlyDataStatus.Offered) EarlyDataStatus = TlsEarlyDataStatus.Rejected;
        // RFC 8446 §4.1.4: keep the PSK only if its hash fits the chosen suite.
        if (_ticket is not null && TlsConstants.HashOf(_ticket.CipherSuite) != hash)
        {
            _ticket = null;
            _pskSchedule = null;
        }

        ReplaceTranscriptWithMessageHash(hash);
        AddToTranscript(message);
        ExpectNoMoreData(EncryptionLevel.Initial);
        Send(EncryptionLevel.Initial, BuildClientHello(offerEarlyData: false));
    }

    private void HandleEncryptedExtensions(byte[] message)
    {
        var r = new TlsReader(message.AsSpan(4));
        TlsExtensions ext = TlsExtensions.Parse(r.ReadVector16());
        r.ExpectEnd("EncryptedExtensions");
        ext.AllowOnly([TlsConstants.ExtServerName, TlsConstants.ExtSupportedGroups, TlsConstants.ExtAlpn, TlsConstants.ExtEarlyData,
            TlsConstants.ExtQuicTransportParameters], "EncryptedExtensions");

        // RFC 9001 §8.1: no agreed application protocol -> no_application_protocol.
        if (!ext.TryGet(TlsConstants.ExtAlpn, out byte[] alpnBody))
            throw new TlsAlertException(TlsAlert.NoApplicationProtocol, "The server selected no ALPN protocol.");
        var ar = new TlsReader(alpnBody);
        var list = new TlsReader(ar.ReadVector16());
        ar.ExpectEnd("ALPN");
        ReadOnlySpan<byte> chosen = list.ReadVector8(1);
        list.ExpectEnd("ALPN (the server must select exactly one protocol)");
        SslApplicationProtocol? match = null;
        foreach (SslApplicationProtocol p in _options.ApplicationProtocols)
            if (p.Protocol.Span.SequenceEqual(chosen)) { match = p; break; }
        if (match is null) throw new TlsAlertException(TlsAlert.IllegalParameter, "The server selected an ALPN protocol the client did not offer.");
        NegotiatedApplicationProtocol = match.Value;

        if (ext.TryGet(TlsConstants.ExtServerName, out byte[] sni) && sni.Length != 0)
            throw new TlsAlertException(TlsAlert.DecodeError, "The server's server_name extension is not empty.");

        if (ext.Contains(TlsConstants.ExtEarlyData))
        {
            if (EarlyDataStatus != TlsEarlyDataStatus.Offered || !IsResumed)
                throw new TlsAlertException(TlsAlert.IllegalParameter, "The server accepted early data the client did not offer.");
            // RFC 8446 §4.2.10: 0-RTT requires the ticket's ALPN.
            if (!_ticket!.ApplicationProtocol.Equals(NegotiatedApplicationProtocol))
                throw new TlsAlertException(TlsAlert.IllegalParameter, "The server accepted early data under a different ALPN protocol.");
            if (_ticket.CipherSuite != CipherSuite)
                throw new TlsAlertException(TlsAlert.IllegalParameter, "The server accepted early data under a different cipher suite.");
            EarlyDataStatus = TlsEarlyDataStatus.Accepted;
        }
        else if (EarlyDataStatus == TlsEarlyDataStatus.Offered)
        {
            EarlyDataStatus = TlsEarlyDataStatus.Rejected;
        }

        // RFC 9001 §8.2: quic_transport_parameters is mandatory.
        if (ext.TryGet(TlsConstants.ExtQuicTransportParameters, out byte[] tp))
        {
            PeerTransportParameters = tp;
        }
        else if (_options.RequireTransportParameters)
        {
            throw new TlsAlertException(TlsAlert.MissingExtension, "The server sent no quic_transport_parameters.");
        }

        AddToTranscript(message);
        if (PeerTransportParameters is not null) NotifyPeerTransportParameters(PeerTransportParameters);
        _state = IsResumed ? State.WaitFinished : State.WaitCertificate;
    }

    private void HandleCertificate(byte[] message)
    {
        var r = new TlsReader(message.AsSpan(4));
        ReadOnlySpan<byte> context = r.ReadVector8();
        var list = new TlsReader(r.ReadVector24());
        r.ExpectEnd("Certificate");
        if (!context.IsEmpty) throw new TlsAlertException(TlsAlert.IllegalParameter, "The server's certificate_request_context is not empty.");
        TlsPeerCertificateInfo? leaf = null;
        var intermediates = new List<X509Certificate2>();
        while (!list.IsEmpty)
        {
            ReadOnlySpan<byte> der = list.ReadVector24(1);
            list.ReadVector16(); // per-certificate extensions: none requested, none used
            try
            {
                // The leaf comes from the process-wide cache (parsed once per distinct certificate); the others are parsed here.
                if (leaf is null) leaf = TlsPeerCertificateCache.Get(der);
                else intermediates.Add(X509CertificateLoader.LoadCertificate(der));
            }
            catch (CryptographicException e)
            {
                throw new TlsAlertException(TlsAlert.BadCertificate, "A server certificate cannot be parsed: " + e.Message);
            }
        }
        // RFC 8446 §4.4.2.4: an empty server Certificate is a decode_error.
        if (leaf is null) throw new TlsAlertException(TlsAlert.DecodeError, "The server sent no certificate.");
        X509Certificate2? leafCertificate;
        try
        {
            TlsCertificateValidator.Validate(_options, leaf, intermediates, out leafCertificate);
        }
        catch (CryptographicException e)
        {
            throw new TlsAlertException(TlsAlert.BadCertificate, "The server certificate cannot be validated: " + e.Message);
        }
        SetPeerCertificates(leaf, leafCertificate, intermediates);
        AddToTranscript(message);
        _state = State.WaitCertificateVerify;
    }

    private void HandleCertificateVerify(byte[] message)
    {
        var r = new TlsReader(message.AsSpan(4));
        ushort scheme = r.ReadUInt16();
        ReadOnlySpan<byte> signature = r.ReadVector16(1);
        r.ExpectEnd("CertificateVerify");
        try
        {
            TlsSignatures.Verify(PeerLeaf!, scheme, signature, TlsSignatures.ServerSignedContent(TranscriptHash()));
        }
        catch (CryptographicException e)
        {
            throw new TlsAlertException(TlsAlert.UnsupportedCertificate, "The server certificate's key cannot verify: " + e.Message);
        }
        AddToTranscript(message);
        _state = State.WaitFinished;
    }

    private void HandleFinished(byte[] message)
    {
        VerifyFinished(message, _serverFinishedKey!);
        AddToTranscript(message);
        ExpectNoMoreData(EncryptionLevel.Handshake);

        byte[] th = TranscriptHash();
        byte[] clientApp = Schedule!.DeriveSecret(Schedule.MasterSecret!, "c ap traffic", th);
        byte[] serverApp = Schedule.DeriveSecret(Schedule.MasterSecret!, "s ap traffic", th);
        SetReadSecret(EncryptionLevel.OneRtt, serverApp, "SERVER_TRAFFIC_SECRET_0");

        // RFC 9001 §8.3: no EndOfEarlyData; the client Finished follows at once at the Handshake level.
        var w = new TlsWriter(64);
        int msg = BeginMessage(w, TlsConstants.Finished);
        w.WriteBytes(FinishedVerifyData(_clientFinishedKey!));
        EndMessage(w, msg);
        SetWriteSecret(EncryptionLevel.OneRtt, clientApp, "CLIENT_TRAFFIC_SECRET_0");
        Send(EncryptionLevel.Handshake, w.WrittenSpan);

        _resumptionMasterSecret = Schedule.DeriveSecret(Schedule.MasterSecret!, "res master", TranscriptHash());
        ReleaseHandshakeState(); // the schedule stays: session tickets (later, in 1-RTT) derive their PSK from it
        CryptographicOperations.ZeroMemory(_clientFinishedKey);
        CryptographicOperations.ZeroMemory(_serverFinishedKey);
        _clientFinishedKey = null;
        _serverFinishedKey = null;
        _keyShare?.Dispose(); // the ECDHE private key (native memory) is done with
        _keyShare = null;
        _state = State.Connected;
        IsHandshakeComplete = true;
        NotifyHandshakeComplete();
    }

    private void HandleNewSessionTicket(byte[] message)
    {
        var r = new TlsReader(message.AsSpan(4));
        uint lifetime = r.ReadUInt32();
        uint ageAdd = r.ReadUInt32();
        ReadOnlySpan<byte> nonce = r.ReadVector8();
        ReadOnlySpan<byte> ticket = r.ReadVector16(1);
        TlsExtensions ext = TlsExtensions.Parse(r.ReadVector16());
        r.ExpectEnd("NewSessionTicket");
        // RFC 8446 §4.6.1: at most seven days.
        if (lifetime > 604800) throw new TlsAlertException(TlsAlert.IllegalParameter, "The ticket lifetime exceeds seven days.");
        uint maxEarlyData = 0;
        if (ext.TryGet(TlsConstants.ExtEarlyData, out byte[] ed))
        {
            var er = new TlsReader(ed);
            maxEarlyData = er.ReadUInt32();
            er.ExpectEnd("early_data");
            // RFC 9001 §4.6.1: any other value is a PROTOCOL_VIOLATION.
            if (maxEarlyData != TlsConstants.QuicMaxEarlyDataSize)
                throw new TlsAlertException(TlsAlert.IllegalParameter, "max_early_data_size is not 0xffffffff.") { TransportError = TransportErrorCode.ProtocolViolation };
        }
        if (lifetime == 0) return; // RFC 8446 §4.6.1: discard at once.
        byte[] psk = Schedule!.TicketPsk(_resumptionMasterSecret!, nonce);
        var t = new TlsSessionTicket(ticket.ToArray(), CipherSuite, psk, ageAdd, TimeSpan.FromSeconds(lifetime), _options.TimeProvider.GetUtcNow(),
            maxEarlyData, NegotiatedApplicationProtocol, _options.ServerName, PeerTransportParameters ?? []);
        NotifySessionTicket(t);
    }
}
