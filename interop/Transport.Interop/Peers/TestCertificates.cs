using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;

namespace Transport.Interop.Peers;

/// <summary>
/// A fresh certificate chain in the interop runner's /certs layout (TESTCASES.md §2), made at run time with
/// <see cref="CertificateRequest"/>: <c>ca.pem</c> (the ECDSA P-256 root), <c>cert.pem</c> (the chain, leaf first,
/// root not included) and <c>priv.key</c> (the leaf's P-256 key, PEM). The leaf names <see cref="LeafNames"/> and
/// 127.0.0.1 and ::1, is valid from one hour ago for ten days and is signed with ECDSA-SHA256, so a server using it
/// signs with ecdsa_secp256r1_sha256 (0x0403).
/// </summary>
public sealed class TestCertificates : IDisposable
{
    /// <summary>The DNS names in the leaf's subjectAltName (the runner's four names and localhost).</summary>
    public static readonly IReadOnlyList<string> LeafNames = ["server", "server4", "server6", "server46", "localhost"];

    private TestCertificates(string directory, X509Certificate2 root, X509Certificate2 leaf, X509Certificate2Collection chain)
    {
        Directory = directory;
        Root = root;
        Leaf = leaf;
        Chain = chain;
    }

    /// <summary>The directory holding ca.pem, cert.pem and priv.key.</summary>
    public string Directory { get; }

    /// <summary>Path of ca.pem, the root certificate.</summary>
    public string CaPath => Path.Combine(Directory, "ca.pem");

    /// <summary>Path of cert.pem, the chain (leaf first, without the root).</summary>
    public string CertificatePath => Path.Combine(Directory, "cert.pem");

    /// <summary>Path of priv.key, the leaf's private key.</summary>
    public string PrivateKeyPath => Path.Combine(Directory, "priv.key");

    /// <summary>The root certificate (public part only).</summary>
    public X509Certificate2 Root { get; }

    /// <summary>The leaf certificate, with its private key, for our own server.</summary>
    public X509Certificate2 Leaf { get; }

    /// <summary>The chain as cert.pem holds it: the leaf (with private key) first, then the intermediates.</summary>
    public X509Certificate2Collection Chain { get; }

    /// <summary>
    /// Creates the chain and writes the three files into <paramref name="directory"/> (created if missing).
    /// <paramref name="chainLength"/> is the number of certificates in cert.pem: 1 = leaf signed by the root,
    /// N = leaf plus N - 1 intermediates (the amplificationlimit test uses 9). <paramref name="extraLongNames"/> adds that
    /// many random 250-character DNS names to the leaf (certs.sh adds 20 when the chain is longer than 1, which makes
    /// the amplificationlimit chain several KB).
    /// </summary>
    public static TestCertificates Create(string directory, int chainLength = 1, PrivateKeyFormat keyFormat = PrivateKeyFormat.Sec1WithParameters,
        int extraLongNames = 0)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(extraLongNames);
        ArgumentException.ThrowIfNullOrEmpty(directory);
        if (chainLength is < 1 or > 20)
            throw new ArgumentOutOfRangeException(nameof(chainLength), chainLength, "The chain must hold 1 to 20 certificates.");
        if (!Enum.IsDefined(keyFormat))
            throw new ArgumentOutOfRangeException(nameof(keyFormat), keyFormat, "Unknown private key format.");
        System.IO.Directory.CreateDirectory(directory);

        DateTimeOffset notBefore = DateTimeOffset.UtcNow.AddHours(-1);
        DateTimeOffset notAfter = notBefore.AddDays(10);

        using ECDsa rootKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var rootRequest = new CertificateRequest("CN=Transport interop test root", rootKey, HashAlgorithmName.SHA256);
        rootRequest.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        rootRequest.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
        rootRequest.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(rootRequest.PublicKey, false));
        using X509Certificate2 rootWithKey = rootRequest.CreateSelfSigned(notBefore, notAfter);

        // Issuers from the root down; each intermediate signs the next.
        var intermediates = new List<X509Certificate2>(); // with private keys
        X509Certificate2 issuer = rootWithKey;
        for (int i = chainLength - 1; i >= 1; i--)
        {
            using ECDsa key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
            var request = new CertificateRequest($"CN=Transport interop test intermediate {i}", key, HashAlgorithmName.SHA256);
            request.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
            request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
            request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(request.PublicKey, false));
            request.CertificateExtensions.Add(X509AuthorityKeyIdentifierExtension.CreateFromCertificate(issuer, true, false));
            using X509Certificate2 signed = request.Create(issuer, notBefore, notAfter, NewSerial());
            X509Certificate2 withKey = signed.CopyWithPrivateKey(key);
            intermediates.Add(withKey);
            issuer = withKey;
        }

        using ECDsa leafKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var leafRequest = new CertificateRequest("CN=server", leafKey, HashAlgorithmName.SHA256);
        var san = new SubjectAlternativeNameBuilder();
        foreach (string name in LeafNames) san.AddDnsName(name);
        for (int i = 0; i < extraLongNames; i++) san.AddDnsName(RandomLongName());
        san.AddIpAddress(IPAddress.Loopback);
        san.AddIpAddress(IPAddress.IPv6Loopback);
        leafRequest.CertificateExtensions.Add(san.Build());
        leafRequest.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, true));
        leafRequest.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature, true));
        leafRequest.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension(
            new OidCollection { new Oid("1.3.6.1.5.5.7.3.1"), new Oid("1.3.6.1.5.5.7.3.2") }, false));
        leafRequest.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(leafRequest.PublicKey, false));
        leafRequest.CertificateExtensions.Add(X509AuthorityKeyIdentifierExtension.CreateFromCertificate(issuer, true, false));
        using X509Certificate2 leafSigned = leafRequest.Create(issuer, notBefore, notAfter, NewSerial());
        X509Certificate2 leaf = leafSigned.CopyWithPrivateKey(leafKey);

        var chain = new X509Certificate2Collection { leaf };
        var pem = new StringBuilder();
        pem.Append(leaf.ExportCertificatePem()).Append('\n');
        for (int i = intermediates.Count - 1; i >= 0; i--) // the one that signed the leaf comes right after it
        {
            chain.Add(intermediates[i]);
            pem.Append(intermediates[i].ExportCertificatePem()).Append('\n');
        }
        File.WriteAllText(Path.Combine(directory, "cert.pem"), pem.ToString());
        File.WriteAllText(Path.Combine(directory, "ca.pem"), rootWithKey.ExportCertificatePem() + "\n");
        File.WriteAllText(Path.Combine(directory, "priv.key"), KeyPem(leafKey, keyFormat));

        var root = X509CertificateLoader.LoadCertificate(rootWithKey.RawData);
        return new TestCertificates(directory, root, leaf, chain);
    }

    /// <summary>Loads a chain written by <see cref="Create"/> or by the runner's certs.sh (cert.pem and priv.key).</summary>
    public static X509Certificate2 LoadLeafWithKey(string directory)
    {
        ArgumentException.ThrowIfNullOrEmpty(directory);
        return X509Certificate2.CreateFromPemFile(Path.Combine(directory, "cert.pem"), Path.Combine(directory, "priv.key"));
    }

    private static string KeyPem(ECDsa key, PrivateKeyFormat format) => format switch
    {
        // "openssl ecparam -name prime256v1" writes the curve OID 1.2.840.10045.3.1.7 as EC PARAMETERS.
        PrivateKeyFormat.Sec1WithParameters => "-----BEGIN EC PARAMETERS-----\nBggqhkjOPQMBBw==\n-----END EC PARAMETERS-----\n"
                                               + key.ExportECPrivateKeyPem() + "\n",
        PrivateKeyFormat.Sec1 => key.ExportECPrivateKeyPem() + "\n",
        _ => key.ExportPkcs8PrivateKeyPem() + "\n",
    };

    private static byte[] NewSerial()
    {
        byte[] serial = RandomNumberGenerator.GetBytes(16);
        serial[0] &= 0x7f; // positive
        serial[0] |= 0x01; // no leading zero octet
        return serial;
    }

    // A random 250-character DNS name in labels of at most 62 letters (a DNS label has at most 63).
    private static string RandomLongName()
    {
        var sb = new System.Text.StringBuilder(250);
        while (sb.Length < 250)
        {
            if (sb.Length > 0 && sb.Length % 63 == 62) sb.Append('.');
            else sb.Append((char)('a' + RandomNumberGenerator.GetInt32(26)));
        }
        return sb.ToString();
    }

    /// <summary>Disposes the certificate objects (the files stay; the caller owns the directory).</summary>
    public void Dispose()
    {
        Root.Dispose();
        foreach (X509Certificate2 c in Chain) c.Dispose();
    }
}
