using Transport.Quic.Crypto;

namespace Transport.Quic.Tests.Crypto;

// RFC 9001 Appendix A.2, A.3, A.5 and RFC 9369 Appendix A.2, A.3, A.5, byte for byte.
public class PacketProtectionVectorTests
{
    private static readonly byte[] Dcid = Convert.FromHexString("8394c8f03e515708");

    private static byte[] Hex(string s) => Convert.FromHexString(s);

    private static string Lower(ReadOnlySpan<byte> b) => Convert.ToHexStringLower(b);

    // The client Initial: the unprotected header, then the CRYPTO frame padded to 1162 bytes, then room for the tag.
    private static byte[] ClientInitialPlaintext(string header, string cryptoFrame)
    {
        byte[] h = Hex(header), frame = Hex(cryptoFrame);
        byte[] packet = new byte[h.Length + 1162 + PacketProtection.TagLength];
        h.CopyTo(packet, 0);
        frame.CopyTo(packet, h.Length); // PADDING frames are zero bytes
        return packet;
    }

    public static TheoryData<uint, string, string, string, string> ClientInitials => new()
    {
        { InitialSecrets.Version1, "c300000001088394c8f03e5157080000449e00000002", Rfc9001Vectors.V1ClientCryptoFrame, Rfc9001Vectors.V1ClientProtectedPacket, "d1b1c98dd7689fb8ec11d242b123dc9b:437b9aec36" },
        { InitialSecrets.Version2, "d36b3343cf088394c8f03e5157080000449e00000002", Rfc9001Vectors.V2ClientCryptoFrame, Rfc9001Vectors.V2ClientProtectedPacket, "ffe67b6abcdb4298b485dd04de806071:94a0c95e80" },
    };

    [Theory]
    [MemberData(nameof(ClientInitials))]
    public void Client_initial_seals_to_the_RFC_packet(uint version, string header, string cryptoFrame, string protectedPacket, string sampleAndMask)
    {
        InitialSecrets.CreateProtection(version, Dcid, isServer: false, out var send, out var receive);
        using (send) using (receive)
        {
            byte[] packet = ClientInitialPlaintext(header, cryptoFrame);
            int n = send.Seal(packet, headerLength: 22, packetNumberOffset: 18, packetNumberLength: 4, packetNumber: 2);
            Assert.Equal(1200, n);
            Assert.Equal(protectedPacket, Lower(packet));

            // The intermediate values: sample at pn_offset + 4 and the mask.
            string[] parts = sampleAndMask.Split(':');
            Assert.Equal(parts[0], Lower(packet.AsSpan(22, 16)));
            using var hp = ClientHeaderProtection(version);
            byte[] mask = new byte[5];
            hp.ComputeMask(packet.AsSpan(22, 16), mask);
            Assert.Equal(parts[1], Lower(mask));
        }
    }

    [Theory]
    [MemberData(nameof(ClientInitials))]
    public void Server_opens_the_RFC_client_initial(uint version, string header, string cryptoFrame, string protectedPacket, string sampleAndMask)
    {
        _ = sampleAndMask;
        InitialSecrets.CreateProtection(version, Dcid, isServer: true, out var send, out var receive);
        using (send) using (receive)
        {
            byte[] packet = Hex(protectedPacket);
            Assert.True(receive.TryOpen(packet, 18, -1, out long pn, out int headerLength, out int payloadLength));
            Assert.Equal(2, pn);
            Assert.Equal(22, headerLength);
            Assert.Equal(1162, payloadLength);
            byte[] expected = ClientInitialPlaintext(header, cryptoFrame);
            Assert.Equal(Lower(expected.AsSpan(0, 22 + 1162)), Lower(packet.AsSpan(0, 22 + 1162)));
        }
    }

    public static TheoryData<uint, string, string, string, string> ServerInitials => new()
    {
        { InitialSecrets.Version1, "c1000000010008f067a5502a4262b50040750001", Rfc9001Vectors.V1ServerPayload, Rfc9001Vectors.V1ServerProtectedPacket, "2cd0991cd25b0aac406a5816b6394100:2ec0d8356a:cf000000010008f067a5502a4262b5004075c0d9" },
        { InitialSecrets.Version2, "d16b3343cf0008f067a5502a4262b50040750001", Rfc9001Vectors.V2ServerPayload, Rfc9001Vectors.V2ServerProtectedPacket, "6f05d8a4398c47089698baeea26b91eb:4dd92e91ea:dc6b3343cf0008f067a5502a4262b5004075d92f" },
    };

    [Theory]
    [MemberData(nameof(ServerInitials))]
    public void Server_initial_seals_to_the_RFC_packet_and_the_client_opens_it(uint version, string header, string payload, string protectedPacket, string sampleMaskHeader)
    {
        string[] parts = sampleMaskHeader.Split(':');
        InitialSecrets.CreateProtection(version, Dcid, isServer: true, out var serverSend, out var serverReceive);
        InitialSecrets.CreateProtection(version, Dcid, isServer: false, out var clientSend, out var clientReceive);
        using (serverSend) using (serverReceive) using (clientSend) using (clientReceive)
        {
            byte[] h = Hex(header), p = Hex(payload);
            byte[] packet = new byte[h.Length + p.Length + 16];
            h.CopyTo(packet, 0);
            p.CopyTo(packet, h.Length);
            Assert.Equal(135, serverSend.Seal(packet, 20, 18, 2, 1));
            Assert.Equal(protectedPacket, Lower(packet));
            Assert.Equal(parts[0], Lower(packet.AsSpan(22, 16)));
            Assert.Equal(parts[2], Lower(packet.AsSpan(0, 20)));

            Assert.True(clientReceive.TryOpen(packet, 18, -1, out long pn, out int headerLength, out int payloadLength));
            Assert.Equal(1, pn);
            Assert.Equal(20, headerLength);
            Assert.Equal(99, payloadLength);
            Assert.Equal(header + payload, Lower(packet.AsSpan(0, 20 + 99)));
        }
    }

    [Fact]
    public void Server_initial_header_protection_mask_matches_the_RFC()
    {
        using var hp = HeaderProtection.Create(CipherSuite.Aes128GcmSha256, Hex("c206b8d9b9f0f37644430b490eeaa314"));
        byte[] mask = new byte[5];
        hp.ComputeMask(Hex("2cd0991cd25b0aac406a5816b6394100"), mask);
        Assert.Equal("2ec0d8356a", Lower(mask));
    }

    // A header-protection object is reused for every packet of its key: the mask must depend on the sample alone,
    // never on the samples before it (ECB and the ChaCha20 block carry no state between packets).
    [Theory]
    [InlineData(CipherSuite.Aes128GcmSha256, "c206b8d9b9f0f37644430b490eeaa314", "2cd0991cd25b0aac406a5816b6394100", "2ec0d8356a")]
    [InlineData(CipherSuite.Aes128GcmSha256, "9f50449e04a0e810283a1e9933adedd2", "d1b1c98dd7689fb8ec11d242b123dc9b", "437b9aec36")]
    [InlineData(CipherSuite.ChaCha20Poly1305Sha256, "25a282b9e82f06f21f488917a4fc8f1b73573685608597d0efcb076b0ab7a7a4", "5e5cd55c41f69080575d7999c25a5bfb", "aefefe7d03")]
    [InlineData(CipherSuite.ChaCha20Poly1305Sha256, "d659760d2ba434a226fd37b35c69e2da8211d10c4f12538787d65645d5d1b8e2", "e7b6b932bc27d786f4bc2bb20f2162ba", "97580e32bf")]
    public void Header_protection_mask_is_a_function_of_the_sample_alone(CipherSuite suite, string hpKey, string sample, string expectedMask)
    {
        using var hp = HeaderProtection.Create(suite, Hex(hpKey));
        var random = new Random(1);
        byte[] other = new byte[16], mask = new byte[5];
        for (int i = 0; i < 5; i++)
        {
            hp.ComputeMask(Hex(sample), mask);
            Assert.Equal(expectedMask, Lower(mask));
            for (int j = 0; j <= i; j++)
            {
                random.NextBytes(other);
                hp.ComputeMask(other, mask);
            }
        }
    }

    public static TheoryData<uint, string, string, string, string, string, string, string> ChaChaShortHeaders => new()
    {
        {
            InitialSecrets.Version1,
            "c6d98ff3441c3fe1b2182094f69caa2ed4b716b65488960a7a984979fb23e1c8", "e0459b3474bdd0e44a41c144",
            "25a282b9e82f06f21f488917a4fc8f1b73573685608597d0efcb076b0ab7a7a4",
            "1223504755036d556342ee9361d253421a826c9ecdf3c7148684b36b714881f9",
            "655e5cd55c41f69080575d7999c25a5bfb", "5e5cd55c41f69080575d7999c25a5bfb:aefefe7d03",
            "4cfe4189655e5cd55c41f69080575d7999c25a5bfb"
        },
        {
            InitialSecrets.Version2,
            "3bfcddd72bcf02541d7fa0dd1f5f9eeea817e09a6963a0e6c7df0f9a1bab90f2", "a6b5bc6ab7dafce30ffff5dd",
            "d659760d2ba434a226fd37b35c69e2da8211d10c4f12538787d65645d5d1b8e2",
            "c69374c49e3d2a9466fa689e49d476db5d0dfbc87d32ceeaa6343fd0ae4c7d88",
            "0ae7b6b932bc27d786f4bc2bb20f2162ba", "e7b6b932bc27d786f4bc2bb20f2162ba:97580e32bf",
            "5558b1c60ae7b6b932bc27d786f4bc2bb20f2162ba"
        },
    };

    private const string ChaChaSecret = "9ac312a7f877468ebe69422748ad00a15443f18203a07d6060f688f30f21632b";
    private const long ChaChaPacketNumber = 654360564;

    [Theory]
    [MemberData(nameof(ChaChaShortHeaders))]
    public void ChaCha20_short_header_matches_the_RFC(uint version, string key, string iv, string hp, string ku,
        string ciphertext, string sampleAndMask, string protectedPacket)
    {
        const CipherSuite suite = CipherSuite.ChaCha20Poly1305Sha256;
        var parameters = QuicVersionParameters.Get(version);
        byte[] secret = Hex(ChaChaSecret);
        byte[] buffer = new byte[32];
        KeySchedule.DeriveKey(suite, parameters, secret, buffer);
        Assert.Equal(key, Lower(buffer));
        KeySchedule.DeriveHeaderProtectionKey(suite, parameters, secret, buffer);
        Assert.Equal(hp, Lower(buffer));
        KeySchedule.DeriveNextSecret(suite, parameters, secret, buffer);
        Assert.Equal(ku, Lower(buffer));
        byte[] ivBuffer = new byte[12];
        KeySchedule.DeriveIv(suite, parameters, secret, ivBuffer);
        Assert.Equal(iv, Lower(ivBuffer));

        using var protection = PacketProtection.Create(suite, secret, version);
        byte[] packet = Hex("4200bff4" + "01" + new string('0', 32));
        Assert.Equal(21, protection.Seal(packet, headerLength: 4, packetNumberOffset: 1, packetNumberLength: 3, packetNumber: ChaChaPacketNumber));
        Assert.Equal(ciphertext, Lower(packet.AsSpan(4)));
        Assert.Equal(protectedPacket, Lower(packet));

        string[] parts = sampleAndMask.Split(':');
        Assert.Equal(parts[0], Lower(packet.AsSpan(5, 16)));
        using var hpObject = HeaderProtection.Create(suite, Hex(hp));
        byte[] mask = new byte[5];
        hpObject.ComputeMask(packet.AsSpan(5, 16), mask);
        Assert.Equal(parts[1], Lower(mask));

        // The receiver, whose largest packet number so far is one less, opens it.
        Assert.True(protection.TryOpen(packet, 1, ChaChaPacketNumber - 1, out long pn, out int headerLength, out int payloadLength));
        Assert.Equal(ChaChaPacketNumber, pn);
        Assert.Equal(4, headerLength);
        Assert.Equal(1, payloadLength);
        Assert.Equal("4200bff401", Lower(packet.AsSpan(0, 5)));
    }

    [Theory]
    [MemberData(nameof(ChaChaShortHeaders))]
    public void ChaCha20_short_header_through_OneRttKeys_matches_the_RFC(uint version, string key, string iv, string hp, string ku,
        string ciphertext, string sampleAndMask, string protectedPacket)
    {
        _ = (key, iv, hp, ku, ciphertext, sampleAndMask);
        byte[] secret = Hex(ChaChaSecret);
        using var server = OneRttKeys.Create(CipherSuite.ChaCha20Poly1305Sha256, secret, new byte[32], version);
        using var client = OneRttKeys.Create(CipherSuite.ChaCha20Poly1305Sha256, new byte[32], secret, version);
        byte[] packet = Hex("4200bff4" + "01" + new string('0', 32));
        server.Seal(packet, 4, 1, 3, ChaChaPacketNumber);
        Assert.Equal(protectedPacket, Lower(packet));
        Assert.True(client.TryOpen(packet, 1, ChaChaPacketNumber - 1, out long pn, out _, out _));
        Assert.Equal(ChaChaPacketNumber, pn);
        // The "ku" value of the RFC is the next generation's secret.
        Assert.True(server.TryInitiateKeyUpdate());
        Assert.Equal(ku, Lower(server.Send.Secret));
    }

    [Theory]
    [InlineData(InitialSecrets.Version1, "e0459b3474bdd0e46d417eb0")]
    [InlineData(InitialSecrets.Version2, "a6b5bc6ab7dafce328ff4a29")]
    public void ChaCha20_nonce_matches_the_RFC(uint version, string nonce)
    {
        using var protection = PacketProtection.Create(CipherSuite.ChaCha20Poly1305Sha256, Hex(ChaChaSecret), version);
        byte[] buffer = new byte[12];
        protection.Payload.MakeNonce(ChaChaPacketNumber, buffer);
        Assert.Equal(nonce, Lower(buffer));
    }

    private static HeaderProtection ClientHeaderProtection(uint version)
    {
        byte[] client = new byte[32], server = new byte[32];
        InitialSecrets.Derive(version, Dcid, client, server);
        byte[] hp = new byte[16];
        KeySchedule.DeriveHeaderProtectionKey(CipherSuite.Aes128GcmSha256, QuicVersionParameters.Get(version), client, hp);
        return HeaderProtection.Create(CipherSuite.Aes128GcmSha256, hp);
    }
}
