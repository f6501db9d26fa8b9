"""Which resources hold state: data, keys, secrets, volumes, namespaces.

A release (slot switch, canary step, new tag) must never touch one of these. Classification is by
type (a table of the types this project and its providers use), plus any resource the program
itself protects (`protect` / `retain_on_delete` mark what it would hate to lose).
"""

from __future__ import annotations

from offline.runner.mocks import Registration

DATA_STORE_TYPES: frozenset[str] = frozenset({
    # What holds the service's data or the keys to it: production must protect every one of these.
    # The pack's "stateful resources are protected" rule keeps its own copy (tested equal).
    "aws:rds/instance:Instance",
    "aws:rds/cluster:Cluster",
    "aws:elasticache/replicationGroup:ReplicationGroup",
    "aws:elasticache/cluster:Cluster",
    "aws:elasticache/serverlessCache:ServerlessCache",
    "aws:memorydb/cluster:Cluster",
    "aws-native:rds:DbInstance",
    "aws-native:rds:DbCluster",
    "aws:opensearch/domain:Domain",
    "aws:kms/key:Key",
    "aws:ebs/volume:Volume",
    "azure-native:dbforpostgresql:Server",
    "azure-native:cache:Redis",
    "azure-native:cache:RedisEnterprise",
    "azure-native:redisenterprise:RedisEnterprise",
    "azure-native:redisenterprise:Database",
    "azure-native:keyvault:Vault",
    "azure-native:keyvault:Key",
    "azure-native:operationalinsights:Workspace",
    "kubernetes:core/v1:PersistentVolumeClaim",
    "kubernetes:core/v1:PersistentVolume",
    "kubernetes:apps/v1:StatefulSet",
    "kubernetes:postgresql.cnpg.io/v1:Cluster",
    "kubernetes:redis.redis.opstreelabs.in/v1beta2:RedisCluster",
})

STATEFUL_TYPES: frozenset[str] = DATA_STORE_TYPES | frozenset({
    # Beside the data stores, what a release must not touch either: credentials, storage, namespaces.
    "aws:rds/clusterInstance:ClusterInstance",
    "aws:elasticache/user:User",
    "aws:secretsmanager/secret:Secret",
    "aws:secretsmanager/secretVersion:SecretVersion",
    "aws:s3/bucket:Bucket",
    "aws:s3/bucketV2:BucketV2",
    "aws:efs/fileSystem:FileSystem",
    "aws:dynamodb/table:Table",
    "aws:ecr/repository:Repository",
    "azure-native:dbforpostgresql:FlexibleServer",
    "azure-native:dbforpostgresql:Database",
    "azure-native:redis:Redis",
    "azure-native:keyvault:Secret",
    "azure-native:storage:StorageAccount",
    "azure-native:storage:BlobContainer",
    "azure-native:compute:Disk",
    "kubernetes:core/v1:Namespace",
    "kubernetes:core/v1:Secret",
    # Generated secret material: a change regenerates it.
    "random:index/randomPassword:RandomPassword",
    "random:index/randomString:RandomString",
    "random:index/randomBytes:RandomBytes",
    "tls:index/privateKey:PrivateKey",
    "tls:index/selfSignedCert:SelfSignedCert",
})

STATEFUL_PREFIXES: tuple[str, ...] = (
    # Operator custom resources that own data: every kind of these API groups.
    "kubernetes:postgresql.cnpg.io/",
    "kubernetes:redis.redis.opstreelabs.in/",
    "kubernetes:databases.spotahome.com/",
    "kubernetes:cert-manager.io/v1:Certificate",
)


def is_stateful_type(type_: str) -> bool:
    return type_ in STATEFUL_TYPES or type_.startswith(STATEFUL_PREFIXES)


def is_stateful(resource: Registration) -> bool:
    return is_stateful_type(resource.type) or resource.protect or resource.retain_on_delete
