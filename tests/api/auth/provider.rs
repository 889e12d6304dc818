//! A stand-in identity provider: RSA and P-256 key pairs made by the `openssl` command for
//! one test (no private key is committed), their public keys in PEM files a server can be
//! pointed at, and tokens signed with their private keys.

use std::path::{Path, PathBuf};
use std::process::Command;

use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde_json::Value;

/// One key pair: the private key to sign with, the public key's file to check with.
pub(super) struct KeyPair {
    private_pem: Vec<u8>,
    pub(super) public_pem: Vec<u8>,
    public_file: PathBuf,
    algorithm: Algorithm,
}

impl KeyPair {
    fn generate(dir: &Path, name: &str, algorithm: Algorithm, options: &[&str]) -> Self {
        let private_file = dir.join(format!("{name}.pem"));
        let public_file = dir.join(format!("{name}.pub.pem"));
        let mut generate = vec!["genpkey"];
        generate.extend_from_slice(options);
        generate.extend(["-out", private_file.to_str().expect("a UTF-8 path")]);
        openssl(&generate);
        openssl(&[
            "pkey",
            "-in",
            private_file.to_str().expect("a UTF-8 path"),
            "-pubout",
            "-out",
            public_file.to_str().expect("a UTF-8 path"),
        ]);
        Self {
            private_pem: std::fs::read(&private_file).expect("the private key"),
            public_pem: std::fs::read(&public_file).expect("the public key"),
            public_file,
            algorithm,
        }
    }

    /// A token over any `claims`, signed with this pair's private key and algorithm.
    pub(super) fn sign(&self, claims: &Value) -> String {
        self.sign_as(self.algorithm, claims)
    }

    /// A token over `claims` signed with this pair's private key under `algorithm` (another
    /// algorithm of the same family, e.g. PS256 with an RSA key).
    pub(super) fn sign_as(&self, algorithm: Algorithm, claims: &Value) -> String {
        let key = match self.algorithm {
            Algorithm::ES256 | Algorithm::ES384 => EncodingKey::from_ec_pem(&self.private_pem),
            _ => EncodingKey::from_rsa_pem(&self.private_pem),
        }
        .expect("the private key loads");
        jsonwebtoken::encode(&Header::new(algorithm), claims, &key).expect("the token signs")
    }

    pub(super) fn public_file(&self) -> &str {
        self.public_file.to_str().expect("a UTF-8 path")
    }

    pub(super) fn private_pem(&self) -> &[u8] {
        &self.private_pem
    }
}

/// The provider's keys, and another RSA key and a P-384 key it does not use.
pub(super) struct Provider {
    pub(super) rsa: KeyPair,
    pub(super) ec: KeyPair,
    pub(super) other_rsa: KeyPair,
    pub(super) p384: KeyPair,
    pub(super) dir: tempfile::TempDir,
}

impl Provider {
    pub(super) fn new() -> Self {
        let dir = tempfile::tempdir().expect("a temp dir");
        let rsa = ["-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048"];
        let curve = |name| ["-algorithm", "EC", "-pkeyopt", name];
        Self {
            rsa: KeyPair::generate(dir.path(), "rsa", Algorithm::RS256, &rsa),
            ec: KeyPair::generate(
                dir.path(),
                "ec",
                Algorithm::ES256,
                &curve("ec_paramgen_curve:P-256"),
            ),
            other_rsa: KeyPair::generate(dir.path(), "other-rsa", Algorithm::RS256, &rsa),
            p384: KeyPair::generate(
                dir.path(),
                "p384",
                Algorithm::ES384,
                &curve("ec_paramgen_curve:P-384"),
            ),
            dir,
        }
    }

    /// A file in the provider's directory holding `contents`.
    pub(super) fn file(&self, name: &str, contents: &[u8]) -> String {
        let path = self.dir.path().join(name);
        std::fs::write(&path, contents).expect("the file is written");
        path.to_str().expect("a UTF-8 path").to_owned()
    }
}

fn openssl(args: &[&str]) {
    let output = Command::new("openssl")
        .args(args)
        .output()
        .expect("the openssl command runs (the identity-provider tests need it)");
    assert!(
        output.status.success(),
        "openssl {args:?}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
}
