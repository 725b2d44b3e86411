'use strict';
// Serverless plugin. When packaging, the framework asks CloudFormation whether each layer changed since the
// last deploy (DescribeStacks), so `serverless package` fails without network or credentials. This makes an
// unreachable CloudFormation mean "not deployed yet": layers are packaged anew, with a warning. Deploys are
// unaffected — they need CloudFormation anyway.
const UNREACHABLE =
  /ENOTFOUND|EAI_AGAIN|ECONNREFUSED|ETIMEDOUT|InvalidClientTokenId|UnrecognizedClientException|security token/i;

class OfflineLayerCheck {
  constructor(serverless, _options, { log }) {
    const layers = serverless.pluginManager.plugins.find((p) => typeof p.compareWithLastLayer === 'function');
    if (!layers) return;
    const compare = layers.compareWithLastLayer.bind(layers);
    layers.compareWithLastLayer = async (layerName) => {
      try {
        return await compare(layerName);
      } catch (error) {
        if (!UNREACHABLE.test(`${error.name} ${error.code} ${error.message}`)) throw error;
        log.warning(`CloudFormation unreachable (${error.message}); packaging layer "${layerName}" anew`);
        return undefined;
      }
    };
  }
}

module.exports = OfflineLayerCheck;
