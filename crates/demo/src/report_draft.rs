//! The demo town's 2023 report draft: the title as the seed report gives it, and its sections
//! 二、存在问题 and 三、下一年度重点工作 in the town's own words (from the seed report). The figures
//! are not written here: they come from the records.

use fazhi_domain::case::Actor;
use fazhi_service::{App, Result, Tenant};

const PROBLEMS: &str = "鳌头镇法治政府建设工作取得一定的成绩，但与法治建设总目标和群众美好生活的期望仍有一定差距。一是“放管服”改革仍存在一些短板和薄弱环节。全面了解企业需求，助企纾困模式从“被动服务”转向“主动问需”跟先进水平相比还有一定差距；压减和调整行政审批事项，不断提升跨层级、跨地域、跨系统、跨部门、跨业务的协同治理和服务水平还有发展空间。二是专业化发展水平不足。执法、法治建设的经费保障不足导致法律审核人员占比较低；律师顾问发挥参谋助手作用不够明显；部分村居法律顾问工作流于形式，提供法律服务的质量参差不齐。法律专业力量和质量尚不能满足新时期工作发展需要。三是综合行政执法工作改革后，行政执法衔接工作面临较多挑战。涉及的执法事项种类和数量较为繁多，难以兼顾精细化工作；部分干部对于各项综合行政执法业务理解不到位，相关执法业务知识学习还不够扎实，不善于自觉运用法治思维和法治方式处理问题、化解矛盾；对省一体化行政执法平台操作不够熟练，执法过程还不够专业、不够规范。行政执法工作真正做到出新出彩，推动辖区法治建设高质量发展，仍然任重道远。";

const PLANS: &str = "2024年，鳌头镇将继续全面贯彻落实党的二十大精神和习近平法治思想，推动各项法治政府建设重要任务、措施落地见效，做精做专各项工作。做到基础领域不减弱，新增领域快步上，在统筹法治政府建设方面，逐步实现规范化、精细化。一是深化“放管服”改革，持续打造更优营商环境。深化行政审批制度改革，优化经营场所申报登记制改革试点工作，继续完善实施“四个一”制度，促进“一网通办”融合创新发展，提质增效。加快政府职能转变，构建全方位服务体系，保障市场主体经营自主权，激发市场活力。以“双随机、一公开”监管和“互联网+监管”为基本手段，提升和优化监管水平。二是进一步提增强法治力量。积极开展业务培训，不断提升工作人员法律专业知识和业务工作能力，加强队伍专业化建设。发挥法治示范镇带头作用，增创1个省级民主法治示范村（社区），培育培优“法律明白人”和“农村学法用法示范户”，推动更多法治力量向引导和疏导端用力。三是提升严格规范公正文明执法水平。加快行政执法衔接，强化镇街行政执法队伍建设，规范完善行政执法程序，加大重点领域执法力度，加强行政执法协调监督，提升行政执法统筹能力。";

/// Saves the demo town's 2023 draft, unless one was saved already.
///
/// # Errors
/// Database errors.
pub async fn save(app: &App, town: &Tenant) -> Result<()> {
    let loaded = app.report_draft(town, 2023).await?;
    if loaded.saved.is_some() {
        return Ok(());
    }
    let mut draft = loaded.draft;
    draft.title = "广州市从化区鳌头镇人民政府关于2023年度法治政府建设情况的报告".into();
    draft.problems = PROBLEMS.into();
    draft.plans = PLANS.into();
    app.save_report_draft_as(&Actor::system(town.id), town, 2023, 0, &draft).await?;
    Ok(())
}
